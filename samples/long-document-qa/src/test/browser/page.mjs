// Drives the service's page as a person would, in headless Chromium: uploads a file, asks a
// question and waits for the streamed answer, adds pasted text, deletes it. Writes screenshots.
// usage: node page.mjs BASE_URL CHROMIUM OUT_DIR
import puppeteer from 'puppeteer-core';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [base, chromium, out] = process.argv.slice(2);
const fail = (message) => { console.error('page check failed: ' + message); process.exit(1); };

const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 800 });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(base, { waitUntil: 'networkidle0' });
  await page.waitForSelector('#documents li');

  // Upload a file through the form.
  const file = join(out, 'picnic.txt');
  writeFileSync(file, 'The Picnic\n\nMia and her dad went to the lake for a picnic. They ate apples and cheese. '
    + 'A duck came and took a piece of bread from the basket.\n');
  const input = await page.$('#file');
  await input.uploadFile(file);
  await page.click('#upload-form button');
  await page.waitForFunction(() => [...document.querySelectorAll('#documents .doc-title')].some((e) => e.textContent === 'The Picnic'),
    { timeout: 60000 });
  const titles = await page.$$eval('#documents .doc-title', (els) => els.map((e) => e.textContent));
  if (!titles.includes('The Picnic')) fail('the uploaded document is not listed: ' + titles);
  const current = await page.$eval('#current', (e) => e.textContent);
  if (current !== 'The Picnic') fail('the uploaded document is not selected: ' + current);

  // Ask twice: the answer streams in; the second question reads the document from the prompt cache.
  for (const question of ['What did they eat?', 'Who took the bread?']) {
    await page.$eval('#question', (e) => { e.value = ''; });
    await page.type('#question', question);
    await page.click('#ask');
    await page.waitForFunction(() => document.querySelector('#usage').textContent.includes('prompt tokens'), { timeout: 120000 });
  }
  const answer = await page.$eval('#answer', (e) => e.textContent);
  if (!answer.trim()) fail('no answer shown');
  const usage = await page.$eval('#usage', (e) => e.textContent);
  const cached = Number((usage.match(/\((\d+) from the prompt cache\)/) || [])[1]);
  if (!(cached > 0)) fail('the second question did not come from the prompt cache: ' + usage);
  await page.screenshot({ path: join(out, 'page.png') });

  // Paste text, then delete it again.
  await page.type('#title', 'Pasted note');
  await page.type('#text', 'A short note that is pasted into the page.');
  await page.click('#text-form button');
  await page.waitForFunction(() => [...document.querySelectorAll('#documents .doc-title')].some((e) => e.textContent === 'Pasted note'));
  await page.evaluate(() => {
    const li = [...document.querySelectorAll('#documents li')].find((l) => l.querySelector('.doc-title').textContent === 'Pasted note');
    li.querySelector('.delete').click();
  });
  await page.waitForFunction(() => ![...document.querySelectorAll('#documents .doc-title')].some((e) => e.textContent === 'Pasted note'));

  // A refused upload shows the server's message.
  const bad = join(out, 'image.pdf');
  writeFileSync(bad, '%PDF-1.4');
  await (await page.$('#file')).uploadFile(bad);
  await page.click('#upload-form button');
  await page.waitForFunction(() => document.querySelector('#library-status').classList.contains('error'));
  const message = await page.$eval('#library-status', (e) => e.textContent);
  if (!message.includes('not a .txt or .md file')) fail('the refusal is not shown: ' + message);
  await page.screenshot({ path: join(out, 'page-error.png') });
  if (errors.length) fail('script errors: ' + errors.join('; '));
  console.log('page check: ok (' + usage + ')');
} finally {
  await browser.close();
}
