// The official OpenAI client against the server: node client.mjs http://localhost:8081/v1
// Exits non-zero (with the failed assertion) when the server does not behave as OpenAI's API does.
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: process.argv[2], apiKey: 'not-needed', maxRetries: 0 });
const messages = [{ role: 'user', content: 'Once upon a time' }];

const models = await client.models.list();
assert.deepEqual(models.data.map((m) => m.id), ['default', 'story']);
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
console.log('official client: ok');
