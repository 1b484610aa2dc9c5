// The page talks to the same API as any client: /documents, /documents/{id}/ask/stream.
'use strict';

const $ = (id) => document.getElementById(id);
let current = null;
let running = null;

async function api(path, options = {}) {
  const response = await fetch(path, options);
  if (!response.ok) {
    let message = response.statusText;
    try { message = (await response.json()).message || message; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  return response.status === 204 ? null : response.json();
}

function status(text, error = false) {
  $('library-status').textContent = text;
  $('library-status').className = 'status' + (error ? ' error' : '');
}

async function refresh() {
  const docs = await api('/documents');
  const list = $('documents');
  list.replaceChildren();
  for (const d of docs) {
    const li = document.createElement('li');
    li.dataset.id = d.id;
    li.className = current && current.id === d.id ? 'selected' : '';
    const title = document.createElement('span');
    title.className = 'doc-title';
    title.textContent = d.title;
    title.title = `${d.title} (${d.tokens} tokens)`;
    const badge = document.createElement('span');
    badge.className = 'badge ' + d.mode;
    badge.textContent = d.mode;
    const del = document.createElement('button');
    del.className = 'delete';
    del.textContent = '✕';
    del.title = 'Delete';
    del.addEventListener('click', async (event) => {
      event.stopPropagation();
      await api('/documents/' + encodeURIComponent(d.id), { method: 'DELETE' });
      if (current && current.id === d.id) select(null);
      status(`Deleted “${d.title}”.`);
      refresh();
    });
    li.append(title, badge, del);
    li.addEventListener('click', () => select(d));
    list.append(li);
  }
  $('empty').hidden = docs.length > 0;
  if (!current && docs.length > 0) select(docs[0]);
}

function select(d) {
  current = d;
  for (const li of document.querySelectorAll('#documents li')) {
    li.className = d && li.dataset.id === d.id ? 'selected' : '';
  }
  $('current').textContent = d ? d.title : 'Choose a document';
  $('current-info').textContent = d
    ? `${d.tokens} tokens, ${d.mode === 'whole' ? 'answered from the whole text (its KV cache is reused)' : `answered from the most relevant of its ${d.chunks} chunks`}`
    : '';
  $('question').disabled = $('ask').disabled = !d;
  $('answer').textContent = '';
  $('usage').textContent = '';
  $('sources-box').hidden = true;
}

async function added(promise) {
  try {
    status('Adding…');
    const d = await promise;
    select(d);
    await refresh();
    status(`Added “${d.title}” (${d.tokens} tokens, ${d.mode}).`);
  } catch (e) {
    status(e.message, true);
  }
}

$('upload-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData();
  form.append('file', $('file').files[0]);
  added(api('/documents', { method: 'POST', body: form })).then(() => { $('file').value = ''; });
});

$('text-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const body = JSON.stringify({ title: $('title').value, text: $('text').value });
  added(api('/documents', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body }))
    .then(() => { $('title').value = ''; $('text').value = ''; });
});

$('stop').addEventListener('click', () => running && running.abort());

$('ask-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!current) return;
  const answer = $('answer');
  answer.textContent = '';
  answer.className = '';
  $('usage').textContent = '';
  $('sources-box').hidden = true;
  $('ask').disabled = true;
  $('stop').hidden = false;
  running = new AbortController();
  const started = performance.now();
  let first = null;
  try {
    const response = await fetch(`/documents/${encodeURIComponent(current.id)}/ask/stream`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Accept': 'text/event-stream' },
      body: JSON.stringify({ question: $('question').value }),
      signal: running.signal,
    });
    if (!response.ok) {
      let message = response.statusText;
      try { message = (await response.json()).message || message; } catch (e) { /* not JSON */ }
      throw new Error(message);
    }
    // Server-sent events: blocks separated by a blank line, each 'data:' line a JSON event.
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5)).join('\n');
        if (!data) continue;
        const e = JSON.parse(data);
        if (e.type === 'token') {
          if (first === null) first = performance.now();
          answer.textContent += e.text;
        } else if (e.type === 'sources') {
          showSources(e.sources);
        } else if (e.type === 'done') {
          const u = e.usage;
          $('usage').textContent = `${u.promptTokens} prompt tokens (${u.cachedTokens} from the prompt cache), ${u.answerTokens} answer tokens`
            + (first !== null ? `, first token after ${((first - started) / 1000).toFixed(2)} s` : '')
            + (e.finishReason === 'length' ? ' — stopped at the length limit' : '');
        } else if (e.type === 'error') {
          throw new Error(e.message);
        }
      }
    }
  } catch (e) {
    if (e.name !== 'AbortError') {
      answer.className = 'error';
      answer.textContent += (answer.textContent ? '\n' : '') + e.message;
    }
  } finally {
    running = null;
    $('ask').disabled = false;
    $('stop').hidden = true;
  }
});

function showSources(sources) {
  const list = $('sources');
  list.replaceChildren();
  for (const s of sources) {
    const li = document.createElement('li');
    li.textContent = `(chunk ${s.chunk}, similarity ${s.score.toFixed(2)}) ${s.text}`;
    list.append(li);
  }
  $('sources-box').hidden = sources.length === 0;
}

refresh().catch((e) => status(e.message, true));
