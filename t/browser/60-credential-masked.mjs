// A credential's secret goes in once and never comes back: create a model
// provider credential from the credentials page, then look for its key
// everywhere the browser has it (the page's HTML, every input's value,
// every API answer the page received, after a reload too). Only the
// server's mask (the last 4 characters) may appear. The test button
// answers with a sentence, not the key.
import { axe, call, like, ok, scenario, setupAdmin, shot, signIn } from './lib.mjs';
import crypto from 'node:crypto';

scenario(async ({ page }) => {
  const key = await setupAdmin();
  const secret = `sk-live-${crypto.randomBytes(18).toString('hex')}`;
  const last4 = secret.slice(-4);

  // Every API answer the page receives, as text.
  const answers = [];
  page.on('response', (res) => {
    if (new URL(res.url()).pathname.startsWith('/api/')) answers.push(res.text().then((t) => ({ url: res.url(), text: t }), () => ({ url: res.url(), text: '' })));
  });

  await signIn(page, key, '/credentials');
  await page.getByRole('heading', { name: 'Credentials' }).waitFor();
  await page.getByText('No credentials yet').waitFor();
  await shot(page, 'empty');
  await axe(page, 'credentials');

  await page.getByRole('button', { name: 'New credential' }).click();
  await page.getByLabel('Name').fill('Local model');
  await page.getByLabel('Provider').selectOption('openai_compatible');
  await page.getByLabel('Base URL').fill('http://127.0.0.1:9/v1');
  await page.getByLabel('API key').fill(secret);
  await shot(page, 'form-filled');
  await axe(page, 'new credential form');
  await page.getByRole('button', { name: 'Save credential' }).click();

  const row = page.getByTestId('credential-Local model');
  await row.waitFor();
  await page.getByRole('status').filter({ hasText: 'will not be shown again' }).waitFor();
  await shot(page, 'saved');
  const rowText = await row.innerText();
  ok(rowText.includes(`****${last4}`), 'the list shows the key as the server masks it', rowText);
  ok(rowText.includes('openai_compatible') && rowText.includes('http://127.0.0.1:9/v1'), 'the list shows the provider and its address', rowText);

  const nowhere = async (when) => {
    const html = await page.content();
    ok(!html.includes(secret), `${when}: the secret is nowhere in the page's HTML`);
    const values = await page.evaluate(() => [...document.querySelectorAll('input, textarea, select')].map((e) => e.value));
    ok(!values.some((v) => v.includes(secret)), `${when}: no input holds the secret`);
    const texts = await Promise.all(answers);
    const leaks = texts.filter((a) => a.text.includes(secret)).map((a) => a.url);
    ok(texts.length > 0 && leaks.length === 0, `${when}: none of the ${texts.length} API answers the page received holds the secret`, ...leaks);
  };
  await nowhere('after saving');

  // The test probes 127.0.0.1:9, where nothing listens (or which the
  // outbound policy refuses): the result is a sentence, not the key.
  await row.getByRole('button', { name: 'Test Local model' }).click();
  const result = page.getByTestId('credential-test-result');
  await result.waitFor();
  const said = await result.innerText();
  ok(/does not work/.test(said) && !said.includes(secret), 'the test says the probe failed, without the key', said);
  await shot(page, 'tested');

  // A new address needs the key again; the new key is masked in turn.
  const secret2 = `sk-next-${crypto.randomBytes(18).toString('hex')}`;
  await row.getByRole('button', { name: 'Change Local model' }).click();
  const edit = page.getByRole('form', { name: 'Change Local model' });
  await edit.getByLabel('Base URL').fill('http://127.0.0.1:10/v1');
  await edit.getByRole('button', { name: 'Save changes' }).click();
  await edit.getByRole('alert').filter({ hasText: 'needs the API key again' }).waitFor();
  ok(true, 'a new base URL without the key is stopped with the reason');
  await edit.getByLabel('New API key').fill(secret2);
  await edit.getByRole('button', { name: 'Save changes' }).click();
  await edit.waitFor({ state: 'detached' });
  await row.getByText(`****${secret2.slice(-4)}`).waitFor();
  ok((await row.innerText()).includes('http://127.0.0.1:10/v1'), 'the new address and the new key\'s mask are listed');
  await shot(page, 'changed');

  await page.reload();
  await page.getByTestId('credential-Local model').waitFor();
  await nowhere('after a reload');
  const html = await page.content();
  const texts = await Promise.all(answers);
  ok(!html.includes(secret2) && !texts.some((a) => a.text.includes(secret2)), 'the replaced key is nowhere either');
  await shot(page, 'reloaded');

  // A web search tool: its own form, its address in the list.
  await page.getByRole('button', { name: 'New credential' }).click();
  await page.getByLabel('Name').fill('Search');
  await page.getByLabel('Kind').selectOption('tool');
  await page.getByLabel('Tool', { exact: true }).selectOption('searxng');
  await page.getByLabel('SearXNG address').fill('http://127.0.0.1:8888');
  await page.getByLabel('Preferred').check();
  await page.getByRole('button', { name: 'Save credential' }).click();
  const search = page.getByTestId('credential-Search');
  await search.waitFor();
  ok(/searxng · http:\/\/127\.0\.0\.1:8888 · preferred/.test(await search.innerText()), 'a SearXNG credential shows its address and that it is preferred');
  const stored = (await call('GET', '/credentials/', { key })).items.find((c) => c.name === 'Search');
  ok(stored?.credential_type === 'tool' && stored.detail.config?.url === 'http://127.0.0.1:8888' && stored.detail.is_preferred === true, 'and is stored as a tool credential', JSON.stringify(stored));
  // Its test is the search web_search makes; nothing answers at that address here.
  await search.getByRole('button', { name: 'Test Search' }).click();
  const searchResult = page.getByTestId('credential-test-result');
  await searchResult.waitFor();
  like(await searchResult.innerText(), /^It does not work: \S/, "the SearXNG credential's test says why it does not work");
  await shot(page, 'search-tested');

  // Deleting asks first, then the row goes.
  page.once('dialog', (d) => d.accept());
  await page.getByRole('button', { name: 'Delete Local model' }).click();
  await page.getByTestId('credential-Local model').waitFor({ state: 'detached' });
  ok(!(await call('GET', '/credentials/', { key })).items.some((c) => c.name === 'Local model'), 'deleting the credential removes it');
  await shot(page, 'deleted');
});
