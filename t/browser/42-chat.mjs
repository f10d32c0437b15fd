// A chat with an agent through the LLM double: the answer appears as it
// streams (a screenshot mid-stream), then the whole reply; a tool call
// shows as it happens; the history stays after the panel is reopened and
// goes with Clear history; the run's detail shows its tokens and cost.
// uses: llm
import { axe, call, createWorkflow, is, like, llm, ok, scenario, setupAdmin, shot, signIn } from './lib.mjs';

const WORDS = ['Streaming ', 'answers ', 'arrive ', 'piece ', 'by ', 'piece ', 'until ', 'done.'];

scenario(async ({ page }) => {
  const key = await setupAdmin();
  await call('POST', '/credentials/', {
    key,
    body: { name: 'double', credential_type: 'llm', detail: { provider_type: 'openai_compatible', api_key: 'sk-browser-test', base_url: llm.url('/v1') } },
  });
  await createWorkflow(key, {
    name: 'Chatty',
    slug: 'chatty',
    nodes: [
      { node_id: 'chat', component_type: 'trigger_chat' },
      { node_id: 'agent', component_type: 'agent', config: { system_prompt: 'Be brief.', extra_config: { conversation_memory: true } } },
      { node_id: 'model', component_type: 'ai_model', config: { model_name: 'gpt-4o-mini', llm_credential: { credential_type: 'llm', name: 'double' } } },
      { node_id: 'calc', component_type: 'calculator' },
    ],
    edges: [
      { source_node_id: 'chat', target_node_id: 'agent' },
      { source_node_id: 'model', target_node_id: 'agent', edge_label: 'llm' },
      { source_node_id: 'calc', target_node_id: 'agent', edge_label: 'tool' },
    ],
  });
  llm.script([
    { match: 'tell me', chunks: WORDS, chunk_delay: 0.4 },
    { match: 'what is 6*7', tool_calls: [{ name: 'calculator', args: { expression: '6*7' } }], chunk_delay: 0.5 },
    { match: '42', text: 'It is 42.' },
  ]);

  await signIn(page, key, '/');
  await page.getByRole('button', { name: 'Chat with Chatty' }).click();
  const log = page.getByRole('log', { name: 'Conversation' });
  await log.getByText('No messages yet').waitFor();
  await page.getByTestId('chat-live').getByText('live').waitFor();
  await axe(page, 'chat');

  await page.getByLabel('Message').fill('tell me how answers arrive');
  await page.getByRole('button', { name: 'Send' }).click();
  const streaming = log.getByTestId('chat-streaming');
  await streaming.waitFor();
  const partial = await streaming.textContent();
  ok(partial.length > 0 && !partial.includes('done.'), 'the answer shows while it streams, before its end', partial);
  await shot(page, 'mid-stream');
  const reply = log.getByTestId('chat-reply');
  await reply.waitFor();
  like(await reply.textContent(), /Streaming answers arrive piece by piece until done\./, 'the whole reply replaces the pieces');
  is(await streaming.count(), 0, 'nothing is left streaming');
  await shot(page, 'reply');

  await page.getByLabel('Message').fill('what is 6*7?');
  await page.keyboard.press('Enter');
  await log.locator('.chat-tool').getByText('calculator').waitFor();
  await log.getByText('It is 42.').waitFor();
  like(await log.locator('.chat-tool').last().textContent(), /calculator.*done/, 'the tool call is shown, then done');
  await shot(page, 'tool-call');

  await page.getByRole('button', { name: 'Close the chat' }).click();
  await page.getByRole('button', { name: 'Chat with Chatty' }).click();
  await log.getByText('It is 42.').waitFor();
  is(await log.getByText('tell me how answers arrive').count(), 1, 'reopened, the panel shows the history');
  await page.getByRole('button', { name: 'Clear history' }).click();
  await page.getByRole('button', { name: 'Yes, clear it' }).click();
  await log.getByText('No messages yet').waitFor();
  is((await call('GET', '/workflows/chatty/chat/history', { key })).messages.length, 0, 'the history is deleted');
  await shot(page, 'cleared');

  await page.getByRole('button', { name: 'Close the chat' }).click();
  await page.getByRole('link', { name: 'Executions of Chatty' }).click();
  await page.locator('table.executions tbody a').last().click();
  await page.locator('.facts [data-status="completed"]').waitFor();
  ok(Number((await page.getByTestId('tokens').textContent()).replace(/\D/g, '')) > 0, 'the run counted the model\'s tokens');
  like(await page.getByTestId('cost').textContent(), /^\$/, 'and shows its cost');
  is(await page.getByTestId('timeline').getByRole('button', { name: /^agent: completed/ }).count(), 1, 'the agent has its bar');
  await shot(page, 'chat-run');
});
