// The official OpenAI client against the server: node client.mjs http://localhost:8081/v1
// Exits non-zero (with the failed assertion) when the server does not behave as OpenAI's API does.
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: process.argv[2], apiKey: 'not-needed', maxRetries: 0 });
const messages = [{ role: 'user', content: 'Once upon a time' }];

const models = await client.models.list();
assert.deepEqual(models.data.map((m) => m.id), ['default', 'story', 'tools']);
const story = await client.models.retrieve('story');
assert.equal(story.id, 'story');
assert.ok(story.created > 1_000_000_000, `created: ${story.created}`);

const completion = await client.chat.completions.create({ model: 'story', messages, max_tokens: 10 });
assert.match(completion.id, /^chatcmpl-/);
assert.ok(completion.choices[0].message.content.startsWith(', there was a little girl'), completion.choices[0].message.content);
assert.equal(completion.choices[0].finish_reason, 'length');
assert.equal(completion.usage.completion_tokens, 10);

const stream = await client.chat.completions.create({
  model: 'story', messages, max_tokens: 10, stream: true, stream_options: { include_usage: true },
});
let text = '';
let usage = null;
for await (const chunk of stream) {
  text += chunk.choices[0]?.delta?.content ?? '';
  usage = chunk.usage ?? usage;
}
assert.equal(text, completion.choices[0].message.content, 'the stream rebuilds the same answer');
assert.equal(usage.completion_tokens, 10);

await assert.rejects(client.chat.completions.create({ model: 'gpt-4o', messages }), (e) => {
  assert.ok(e instanceof OpenAI.NotFoundError, String(e));
  assert.equal(e.code, 'model_not_found');
  return true;
});
await assert.rejects(client.chat.completions.create({ model: 'story', messages, logprobs: true }), (e) => {
  assert.ok(e instanceof OpenAI.BadRequestError, String(e));
  assert.equal(e.param, 'logprobs');
  return true;
});
// Tools, on the random-weight "tools" model: its calls are noise, but they parse and fit the schema.
const weather = {
  type: 'function',
  function: {
    name: 'weather',
    description: 'The weather in a city',
    strict: true,
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, days: { type: 'integer' } },
      required: ['city', 'days'],
      additionalProperties: false,
    },
  },
};
const ask = [{ role: 'user', content: 'What is the weather in Paris?' }];
const called = await client.chat.completions.create({ model: 'tools', messages: ask, tools: [weather], tool_choice: 'required', seed: 1 });
assert.equal(called.choices[0].finish_reason, 'tool_calls');
const call = called.choices[0].message.tool_calls[0];
assert.equal(call.type, 'function');
assert.equal(call.function.name, 'weather');
const args = JSON.parse(call.function.arguments);
assert.deepEqual(Object.keys(args), ['city', 'days']);
assert.equal(typeof args.city, 'string');
assert.ok(Number.isInteger(args.days), call.function.arguments);

// Streamed, the client's own helper joins the delta.tool_calls pieces into calls.
const toolStream = client.chat.completions.stream({ model: 'tools', messages: ask, tools: [weather], tool_choice: 'required', seed: 3 });
const joined = new Map();
toolStream.on('tool_calls.function.arguments.delta', (e) => { joined.set(e.index, (joined.get(e.index) ?? '') + e.arguments_delta); });
const streamed = await toolStream.finalChatCompletion();
assert.equal(streamed.choices[0].finish_reason, 'tool_calls');
const streamedCalls = streamed.choices[0].message.tool_calls;
assert.ok(streamedCalls.length >= 1);
streamedCalls.forEach((c, i) => {
  assert.equal(c.function.name, 'weather');
  assert.equal(c.id.length, 9);
  assert.equal(c.function.arguments, joined.get(i), 'the pieces add up to the arguments');
  assert.deepEqual(Object.keys(JSON.parse(c.function.arguments)), ['city', 'days']);
});

// The result goes back as a tool message; a JSON schema answer is parsed by the client.
const forecast = {
  type: 'json_schema',
  json_schema: {
    name: 'forecast',
    strict: true,
    schema: {
      type: 'object',
      properties: { summary: { type: 'string' }, temperature: { type: 'number' } },
      required: ['summary', 'temperature'],
      additionalProperties: false,
    },
  },
};
const answered = await client.chat.completions.parse({
  model: 'tools',
  messages: [...ask, called.choices[0].message, { role: 'tool', tool_call_id: call.id, content: 'Sunny, 22 degrees.' }],
  tools: [weather],
  tool_choice: 'none',
  response_format: forecast,
  seed: 2,
});
assert.equal(answered.choices[0].finish_reason, 'stop');
const parsed = answered.choices[0].message.parsed;
assert.deepEqual(Object.keys(parsed), ['summary', 'temperature']);
assert.equal(typeof parsed.temperature, 'number');

console.log('official client: ok');
