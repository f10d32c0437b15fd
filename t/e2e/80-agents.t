# Agents (issue: LLM providers, tools, memory, budgets), end to end through
# the API, a real pool and the LLM double (t/lib/FakeLLM.pm) on 127.0.0.1:
#  - a chat round trip: the model's answer is the execution's output, the
#    system prompt went as the system message and as its fallback message;
#  - streaming: chat_delta events arrive in order and add up to the reply,
#    and one chat_message carries the whole reply;
#  - a tool loop: calculator, then http_request against a local server the
#    outbound allowlist opens, then the final answer; the tool results
#    went back to the model;
#  - the step cap fails the node with a readable error;
#  - conversation memory: a second chat sees the first; another user's
#    thread is separate; the checkpoint file does not exist before the
#    first agent with memory runs; chat history lists and deletes it;
#  - faults of the provider: 429 then success, 500 past the retries, a
#    stalled provider, a malformed answer, a cut stream: each ends the
#    execution completed or failed with a readable error, never hanging;
#  - an executor killed during a tool loop: the agent resumes from its
#    checkpoint and no message is sent twice; the budget totals and the
#    memory thread count the answered calls and hold each message once;
#  - budgets: 20 parallel executions against a budget that allows 5 calls
#    make exactly 5 calls; costs add up; a USD limit on an unpriced model
#    is refused;
#  - the API key appears in no log line, event or answer.
# Both backends.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use IO::Socket::INET;
use Time::HiRes qw(sleep);
use PipelitTest;
use PipelitAuth;
use PipelitEngine;
use PipelitEvents;
use FakeLLM;

need_nginx();

my $KEY = 'sk-agent-test-SECRET-4242424242';
my $LEASE = 3;

sub credential {
	my ($t, $tok, $llm, %o) = @_;
	my ($res, $j) = api($t, $tok, 'POST', 'credentials/', { name => 'fake ' . int(rand(1e9)),
		credential_type => 'llm', detail => { provider_type => $o{provider} // 'openai_compatible',
		api_key => $KEY, base_url => $o{provider} && $o{provider} eq 'anthropic' ? $llm->url('') : $llm->url('/v1') } });
	$res->{status} == 201 or diag("credential: $res->{status} $res->{content}");
	return $j->{id};
}

# An agent workflow: chat trigger -> agent, with its model and tools.
sub agent_workflow {
	my ($t, $tok, $slug, %o) = @_;
	my @nodes = (
		{ node_id => 'chat', component_type => 'trigger_chat' },
		{ node_id => 'agent', component_type => 'agent', config => { system_prompt => $o{prompt} // 'Be brief.',
			extra_config => $o{agent_extra} // {} } },
		{ node_id => 'model', component_type => 'ai_model', config => { model_name => $o{model} // 'gpt-4o-mini',
			llm_credential_id => $o{cred}, %{ $o{model_config} // {} } } },
	);
	my @edges = (['chat', 'agent'], ['model', 'agent', { edge_label => 'llm' }]);
	for my $tool (@{ $o{tools} // [] }) {
		my ($id, $type, $extra) = @$tool;
		push @nodes, { node_id => $id, component_type => $type, config => { extra_config => $extra // {} } };
		push @edges, [$id, 'agent', { edge_label => 'tool' }];
	}
	return build_workflow($t, $tok, $slug, \@nodes, \@edges, $o{workflow});
}

sub chat_run {
	my ($t, $tok, $slug, $text) = @_;
	my ($res, $j) = api($t, $tok, 'POST', "workflows/$slug/chat/", { text => $text });
	$res->{status} == 200 or do { diag("chat $slug: $res->{status} $res->{content}"); return undef };
	return $j->{execution_id};
}

sub detail {
	my ($t, $tok, $id) = @_;
	my (undef, $j) = api($t, $tok, 'GET', "executions/$id/");
	return $j // {};
}

sub output_text {
	my ($t, $tok, $id) = @_;
	my $d = detail($t, $tok, $id);
	my $out = $d->{final_output};
	return ref $out eq 'HASH' ? $out->{output} // $out->{message} // '' : $out // '';
}

sub node_error {
	my ($t, $id, $node) = @_;
	$node //= 'agent';
	return $t->db_query("SELECT error_code || ': ' || error FROM execution_logs WHERE execution_id = '$id' "
		. "AND node_id = '$node' ORDER BY id DESC LIMIT 1") // '';
}

sub chat_requests { grep { $_->{path} =~ m{/(chat/completions|messages)$} } $_[0]->requests }

# --- scenarios ------------------------------------------------------------------------

sub test_round_trip {
	my ($t, $tok, $llm, $cred) = @_;
	$llm->clear_requests;
	$llm->script([{ match => 'hello', text => 'Hello to you too.' }]);
	agent_workflow($t, $tok, 'hello', cred => $cred, prompt => 'You are terse.') or return;
	my $id = chat_run($t, $tok, 'hello', 'hello there') or return;
	is(wait_execution($t, $id, 60)->{status}, 'completed', 'the chat completes') or diag($t->log_tail);
	is(output_text($t, $tok, $id), 'Hello to you too.', "the model's answer is the output");
	my @r = chat_requests($llm);
	is(scalar @r, 1, 'one model call');
	my $msgs = $r[0]{body}{messages} // [];
	is($msgs->[0]{role} . '|' . $msgs->[0]{content}, 'system|You are terse.', 'the system prompt as the system message');
	like(join("\n", map { ref $_->{content} ? '' : $_->{content} // '' } @$msgs),
		qr/\[System instructions .* follow these for the entire conversation\]\nYou are terse\./,
		'and as the fallback message');
	is($msgs->[-1]{content}, 'hello there', 'the user message last');
	is($r[0]{headers}{authorization}, "Bearer $KEY", 'the key went in its header');
	my $d = detail($t, $tok, $id);
	cmp_ok($d->{total_tokens} // 0, '>', 0, 'the execution counts tokens');
	is($d->{llm_calls}, 1, 'and one call');
}

# Two agents in a row, the second failing once at the provider: its second
# attempt resumes its own conversation, never the first agent's.  (Each run
# keys its checkpoints and message ids by its job's id, so a job id must
# never be handed out twice; on SQLite a deleted last row's id was.)
sub test_agents_in_a_row {
	my ($t, $tok, $llm, $cred) = @_;
	my @nodes = (
		{ node_id => 'chat', component_type => 'trigger_chat' },
		{ node_id => 'first', component_type => 'agent', config => { system_prompt => 'One.', extra_config => {} } },
		{ node_id => 'second', component_type => 'agent', config => { system_prompt => 'Two.', extra_config => {} } },
		{ node_id => 'model', component_type => 'ai_model', config => { model_name => 'gpt-4o-mini',
			llm_credential_id => $cred, max_retries => 0 } },
	);
	my @edges = (['chat', 'first'], ['first', 'second'],
		['model', 'first', { edge_label => 'llm' }], ['model', 'second', { edge_label => 'llm' }]);
	build_workflow($t, $tok, 'in-a-row', \@nodes, \@edges) or return;
	$llm->clear_requests;
	$llm->script([
		{ match => 'row-start', text => 'the first says: row-next' },
		{ match => 'row-next', status => 500, error => 'a passing fault', times => 1 },
		{ match => 'row-next', text => 'the second answer' },
	]);
	my $id = chat_run($t, $tok, 'in-a-row', 'row-start') or return;
	is(wait_execution($t, $id, 60)->{status}, 'completed', 'the execution completes after the retry') or diag($t->log_tail);
	is(output_text($t, $tok, $id), 'the second answer', "the output is the second agent's own answer");
	is(scalar(chat_requests($llm)), 3, 'three model calls: the first agent, the failed try, the retry');
	my $second = $t->db_query("SELECT CAST(output AS TEXT) FROM execution_logs WHERE execution_id = '$id' "
		. "AND node_id = 'second' AND status = 'completed'") // '';
	like($second, qr/the second answer/, "the second agent's log row holds its answer");
	unlike($second, qr/the first says/, "and not the first agent's");
}

# An executor keeps a credential it read for a second (doc/agents.md): an
# edit reaches the runs after that, and so does a delete.
sub test_credential_edit {
	my ($t, $tok, $llm) = @_;
	my $cred = credential($t, $tok, $llm) or return;
	$llm->clear_requests;
	$llm->script([{ match => 'edit', text => 'Noted.' }]);
	agent_workflow($t, $tok, 'cred-edit', cred => $cred) or return;
	my $first = chat_run($t, $tok, 'cred-edit', 'edit one') or return;
	is(wait_execution($t, $first, 60)->{status}, 'completed', 'a run with the credential') or diag($t->log_tail);
	my $edited = 'sk-edited-SECRET-5151515151';
	my ($res) = api($t, $tok, 'PATCH', "credentials/$cred/", { detail => { api_key => $edited } });
	is($res->{status}, 200, 'its key is changed') or diag($res->{content});
	sleep 1.5;    # past the executor's keeping
	my $second = chat_run($t, $tok, 'cred-edit', 'edit two') or return;
	is(wait_execution($t, $second, 60)->{status}, 'completed', 'the next run completes');
	my @r = chat_requests($llm);
	is_deeply([map { $_->{headers}{authorization} } @r], ["Bearer $KEY", "Bearer $edited"],
		'each run sent the key the credential had when it ran');
	($res) = api($t, $tok, 'DELETE', "credentials/$cred/");
	is($res->{status}, 204, 'the credential is deleted') or diag($res->{content});
	sleep 1.5;
	my $third = chat_run($t, $tok, 'cred-edit', 'edit three') or return;
	is(wait_execution($t, $third, 60)->{status}, 'failed', 'a run after the delete fails');
	is(scalar(chat_requests($llm)), 2, 'without calling the model');
}

sub test_anthropic {
	my ($t, $tok, $llm, $acred) = @_;
	$llm->clear_requests;
	$llm->script([{ match => 'bonjour', text => 'Salut.' }]);
	agent_workflow($t, $tok, 'claude', cred => $acred, model => 'claude-sonnet-4-x', prompt => 'Short answers.') or return;
	my $id = chat_run($t, $tok, 'claude', 'bonjour') or return;
	is(wait_execution($t, $id, 60)->{status}, 'completed', 'an Anthropic model answers') or diag(node_error($t, $id));
	is(output_text($t, $tok, $id), 'Salut.', 'with its text');
	my ($r) = chat_requests($llm);
	is($r->{path}, '/v1/messages', 'through the messages API');
	is($r->{body}{system}, 'Short answers.', 'the system prompt in "system"');
	is($r->{headers}{'x-api-key'}, $KEY, 'the key in x-api-key');
	ok(!exists $r->{headers}{authorization}, 'and nowhere else');
}

sub test_categorizer_extractor {
	my ($t, $tok, $llm, $cred) = @_;
	$llm->script([
		{ match => 'refund my order', match_body => 'message classifier', text => '{"category": "billing"}' },
		{ match => 'I am Ada, 36', tool_calls => [{ name => 'extract_data', args => { name => 'Ada', age => 36 } }] },
		{ match => 'I am Bob', tool_calls => [{ name => 'extract_data', args => { name => 'Bob', age => 'old' } }] },
	]);
	build_workflow($t, $tok, 'sort', [
		{ node_id => 'chat', component_type => 'trigger_chat' },
		{ node_id => 'cat', component_type => 'categorizer', config => { extra_config => { categories => [
			{ name => 'billing', description => 'money' }, { name => 'other', description => 'the rest' }] } } },
		{ node_id => 'model', component_type => 'ai_model', config => { model_name => 'gpt-4o-mini', llm_credential_id => $cred } }],
		[['chat', 'cat'], ['model', 'cat', { edge_label => 'llm' }]]) or return;
	my $id = chat_run($t, $tok, 'sort', 'refund my order') or return;
	is(wait_execution($t, $id, 60)->{status}, 'completed', 'the categorizer runs') or diag(node_error($t, $id, 'cat'));
	my $st = decode_json($t->db_query("SELECT state FROM workflow_executions WHERE execution_id = '$id'") // '{}');
	is($st->{node_outputs}{cat}{category}, 'billing', 'and picks the category');
	is($st->{route}, 'billing', 'which is the route');
	my $schema = { type => 'object', properties => { name => { type => 'string' }, age => { type => 'integer' } },
		required => ['name', 'age'] };
	build_workflow($t, $tok, 'extract', [
		{ node_id => 'chat', component_type => 'trigger_chat' },
		{ node_id => 'ex', component_type => 'extractor', config => { extra_config => { extraction_schema => $schema } } },
		{ node_id => 'model', component_type => 'ai_model', config => { model_name => 'gpt-4o-mini', llm_credential_id => $cred } }],
		[['chat', 'ex'], ['model', 'ex', { edge_label => 'llm' }]]) or return;
	$llm->clear_requests;
	$id = chat_run($t, $tok, 'extract', 'I am Ada, 36') or return;
	is(wait_execution($t, $id, 60)->{status}, 'completed', 'the extractor runs') or diag(node_error($t, $id, 'ex'));
	$st = decode_json($t->db_query("SELECT state FROM workflow_executions WHERE execution_id = '$id'") // '{}');
	is_deeply($st->{node_outputs}{ex}{extracted}, { name => 'Ada', age => 36 }, 'the fields of its schema');
	my ($r) = chat_requests($llm);
	is($r->{body}{tool_choice}{function}{name}, 'extract_data', 'the model was made to call the extraction tool');
	$id = chat_run($t, $tok, 'extract', 'I am Bob') or return;
	is(wait_execution($t, $id, 60)->{status}, 'failed', 'data that breaks the schema fails the node');
	like(node_error($t, $id, 'ex'), qr/^extraction_failed: .*age/, 'naming the field');
}

sub test_memory_tools {
	my ($t, $tok, $llm, $cred) = @_;
	$llm->script([
		{ match => 'remember the code', tool_calls => [{ name => 'remember', args => { key => 'door_code', value => '1234' } }] },
		{ match => 'Remembered', text => 'Noted.' },
		{ match => 'what is the code', tool_calls => [{ name => 'recall', args => { key => 'door_code' } }] },
		{ match => 'door_code = 1234', text => 'It is 1234.' },
	]);
	agent_workflow($t, $tok, 'facts', cred => $cred,
		tools => [['rd', 'memory_read', {}], ['wr', 'memory_write', {}]]) or return;
	my $id = chat_run($t, $tok, 'facts', 'remember the code') or return;
	is(wait_execution($t, $id, 60)->{status}, 'completed', 'remember runs') or diag(node_error($t, $id));
	$id = chat_run($t, $tok, 'facts', 'what is the code') or return;
	is(wait_execution($t, $id, 60)->{status}, 'completed', 'recall runs') or diag(node_error($t, $id));
	is(output_text($t, $tok, $id), 'It is 1234.', 'and finds what was remembered');
}

sub test_streaming {
	my ($t, $tok, $llm, $cred) = @_;
	my @words = map { "word$_ " } 1 .. 30;
	$llm->script([{ match => 'stream please', chunks => \@words, chunk_delay => 0.03 }]);
	agent_workflow($t, $tok, 'streamy', cred => $cred) or return;
	my ($res, $tk) = ticket($t, $tok, 'workflow:streamy');
	my ($status, $s) = subscribe($t, $tk->{url});
	is($status, 200, 'subscribed to the workflow channel') or return;
	my $id = chat_run($t, $tok, 'streamy', 'stream please') or return;
	my $buf = read_until($s, qr/"execution_completed"/, 60);
	my @events = map { eval { decode_json($_) } // () } $buf =~ /^data: (.*)$/mg;
	my @deltas = grep { $_->{type} eq 'chat_delta' && $_->{execution_id} eq $id } @events;
	my @chats = grep { $_->{type} eq 'chat_message' && $_->{execution_id} eq $id } @events;
	my $whole = join '', @words;
	cmp_ok(scalar @deltas, '>', 1, 'several chat_delta events') or diag(join ' ', map { $_->{type} } @events);
	is(join('', map { $_->{data}{text} } @deltas), $whole, 'the deltas, in order, add up to the reply');
	is(scalar @chats, 1, 'one chat_message');
	is($chats[0]{data}{text}, $whole, 'with the whole reply');
	is($deltas[0]{data}{message_id}, $chats[0]{data}{message_id}, 'deltas and the message share an id');
	is(output_text($t, $tok, $id), $whole, 'the output is the whole reply');
	my ($done) = grep { $_->{type} eq 'execution_completed' && $_->{execution_id} eq $id } @events;
	is($done->{data}{activity_summary}{llm_calls}, 1, "the activity summary counts the call");
	cmp_ok($done->{data}{activity_summary}{total_tokens} // 0, '>', 0, 'and its tokens');
}

sub start_http_server {
	my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 16, ReuseAddr => 1) or die;
	my $port = $l->sockport;
	my $pid = fork // die;
	if ($pid == 0) {
		while (my $c = $l->accept) {
			my $req = '';
			while ($req !~ /\r\n\r\n/) { my $n = sysread($c, $req, 4096, length $req); last unless $n }
			my $body = $req =~ m{^GET /search\?q=([^& ]*)} ? '{"query":"' . $1 . '","results":['
				. '{"title":"Pipelit","content":"A workflow engine.","url":"https://example.org/pipelit"}]}'
				: '{"weather":"sunny","temp":21}';
			print $c "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
				. length($body) . "\r\nConnection: close\r\n\r\n$body";
			close $c;
		}
		POSIX::_exit(0);
	}
	close $l;
	return ($pid, $port);
}

sub test_tool_loop {
	my ($t, $tok, $llm, $cred, $port) = @_;
	$llm->clear_requests;
	$llm->script([
		{ match => 'what is 6 times 7', tool_calls => [{ name => 'calculator', args => { expression => '6*7' } }] },
		{ match => '42', tool_calls => [{ name => 'http_request', args => { url => "http://127.0.0.1:$port/weather" } }] },
		{ match => 'sunny', text => 'It is 42, and sunny.' },
	]);
	agent_workflow($t, $tok, 'tools', cred => $cred,
		tools => [['calc', 'calculator', {}], ['http', 'http_request', {}]]) or return;
	my $id = chat_run($t, $tok, 'tools', 'what is 6 times 7') or return;
	is(wait_execution($t, $id, 60)->{status}, 'completed', 'the tool loop completes') or diag(node_error($t, $id));
	is(output_text($t, $tok, $id), 'It is 42, and sunny.', 'the final answer');
	my @r = chat_requests($llm);
	is(scalar @r, 3, 'three model calls: question, calculator result, http result');
	my @tools = map { $_->{function}{name} } @{ $r[0]{body}{tools} // [] };
	is_deeply([sort @tools], ['calculator', 'http_request'], 'both tools offered to the model');
	my ($calc) = grep { ($_->{role} // '') eq 'tool' } @{ $r[1]{body}{messages} };
	is($calc->{content}, '42', 'the calculator result went back to the model');
	my ($http) = grep { ($_->{role} // '') eq 'tool' && $_->{content} =~ /sunny/ } @{ $r[2]{body}{messages} };
	like($http->{content} // '', qr/^HTTP 200\n\{"weather":"sunny"/, 'the http_request result too');
	my $d = detail($t, $tok, $id);
	is($d->{llm_calls}, 3, 'three calls counted');
}

sub test_web_search {
	my ($t, $tok, $llm, $cred, $port) = @_;
	my ($res, $sx) = api($t, $tok, 'POST', 'credentials/', { name => 'searx', credential_type => 'tool',
		detail => { tool_type => 'searxng', config => { url => "http://127.0.0.1:$port" }, is_preferred => JSON::PP::true } });
	is($res->{status}, 201, 'a SearXNG credential') or return diag($res->{content});
	$llm->clear_requests;
	$llm->script([
		{ match => 'look it up', tool_calls => [{ name => 'web_search', args => { query => 'pipelit' } }] },
		{ match => 'A workflow engine.', text => 'It is a workflow engine.' },
	]);
	agent_workflow($t, $tok, 'searching', cred => $cred, tools => [['search', 'web_search', {}]]) or return;
	my $id = chat_run($t, $tok, 'searching', 'look it up') or return;
	is(wait_execution($t, $id, 60)->{status}, 'completed', 'web_search runs (the preferred SearXNG credential)')
		or diag(node_error($t, $id));
	my @r = chat_requests($llm);
	my ($res_msg) = grep { ($_->{role} // '') eq 'tool' } @{ $r[-1]{body}{messages} // [] };
	is($res_msg->{content}, "**Pipelit**\nA workflow engine.\nURL: https://example.org/pipelit",
		"the search results went back to the model");
}

sub test_step_cap {
	my ($t, $tok, $llm, $cred) = @_;
	$llm->script([{ match_body => '"loop forever"', tool_calls => [{ name => 'calculator', args => { expression => '1+1' } }] }]);
	agent_workflow($t, $tok, 'capped', cred => $cred, agent_extra => { max_steps => 5 },
		tools => [['calc', 'calculator', {}]]) or return;
	my $id = chat_run($t, $tok, 'capped', 'loop forever') or return;
	is(wait_execution($t, $id, 60)->{status}, 'failed', 'a model that never stops calling tools fails the run');
	like(node_error($t, $id), qr/^step_limit: the agent reached its limit of 5 steps/, 'with a readable error');
}

sub test_memory {
	my ($t, $tok, $bob, $llm, $cred, $bob_cred) = @_;
	# Beside the SQLite file by default, else in the data directory.
	my $file = $t->db_url =~ m{^sqlite:///(.*)/[^/]+$} ? "$1/checkpoints.db" : $t->dir . '/data/checkpoints.db';
	ok(!-e $file, "no checkpoint file ($file) before an agent with memory runs");
	$llm->script([{ match => 'my name is', text => 'Nice to meet you.' },
		{ match => 'what is my name', text => 'I remember.' }]);
	agent_workflow($t, $tok, 'mem', cred => $cred, agent_extra => { conversation_memory => JSON::PP::true }) or return;
	my $id = chat_run($t, $tok, 'mem', 'my name is Ada') or return;
	is(wait_execution($t, $id, 60)->{status}, 'completed', 'the first chat completes') or diag(node_error($t, $id));
	ok(-e $file, 'the file exists once one has run');
	is(sprintf('%04o', (stat $file)[2] & 07777), '0600', 'private (0600)');
	$llm->clear_requests;
	$id = chat_run($t, $tok, 'mem', 'what is my name') or return;
	is(wait_execution($t, $id, 60)->{status}, 'completed', 'the second chat completes');
	my ($r) = chat_requests($llm);
	my @texts = map { $_->{content} // '' } @{ $r->{body}{messages} // [] };
	ok((grep { $_ eq 'my name is Ada' } @texts) && (grep { $_ eq 'Nice to meet you.' } @texts),
		'the second call carries the first exchange') or diag(explain(\@texts));
	is(scalar(grep { /follow these for the entire conversation/ } @texts), 1, 'the fallback message once, not twice');
	my ($res, $h) = api($t, $tok, 'GET', 'workflows/mem/chat/history');
	is($res->{status}, 200, 'chat history answers');
	is_deeply([map { "$_->{role}:$_->{text}" } grep { $_->{text} !~ /System instructions/ } @{ $h->{messages} // [] }],
		['user:my name is Ada', 'assistant:Nice to meet you.', 'user:what is my name', 'assistant:I remember.'],
		'the thread holds both exchanges, in order') or diag($res->{content});
	# Bob's chat with his own copy: a separate thread.
	agent_workflow($t, $bob, 'mem-bob', cred => $bob_cred, agent_extra => { conversation_memory => JSON::PP::true }) or return;
	$llm->clear_requests;
	$id = chat_run($t, $bob, 'mem-bob', 'what is my name') or return;
	is(wait_execution($t, $id, 60)->{status}, 'completed', "bob's chat completes");
	($r) = chat_requests($llm);
	ok(!grep({ ($_->{content} // '') =~ /Ada/ } @{ $r->{body}{messages} // [] }), "bob's agent never sees alice's thread");
	($res) = api($t, $tok, 'DELETE', 'workflows/mem/chat/history');
	is($res->{status}, 204, 'history delete: 204');
	(undef, $h) = api($t, $tok, 'GET', 'workflows/mem/chat/history');
	is(scalar @{ $h->{messages} // [1] }, 0, 'the history is empty after it');
}

sub test_faults {
	my ($t, $tok, $llm, $cred) = @_;
	agent_workflow($t, $tok, 'faulty', cred => $cred, model_config => { timeout => 2, max_retries => 1 }) or return;
	my @cases = (
		['429 then success', [{ match => 'case-429', status => 429, retry_after => '1', times => 1 }, { match => 'case-429', text => 'ok after 429' }], 'completed', qr/^ok after 429$/],
		['500 past the retries', [{ match => 'case-500', status => 500, error => 'upstream exploded' }], 'failed', qr/llm_http_500: .*upstream exploded/, 8],
		['a stalled provider', [{ match => 'case-stall', stall => 1 }], 'failed', qr/llm_timeout/],
		['a malformed answer', [{ match => 'case-bad', malformed => 1, stream => 0 }], 'failed', qr/llm_malformed/, 1],
		['a cut stream', [{ match => 'case-cut', truncate => 1 }], 'failed', qr/llm_cut|cut off/],
		['a provider that does not stream', [{ match => 'case-whole', stream => 0, text => 'a whole answer' }], 'completed', qr/^a whole answer$/],
	);
	for my $c (@cases) {
		my ($name, $script, $status, $re, $requests) = @$c;
		$llm->script($script);
		$llm->clear_requests;
		my ($word) = $script->[0]{match};
		my $id = chat_run($t, $tok, 'faulty', $word) or next;
		my $row = wait_execution($t, $id, 90);
		is($row->{status}, $status, "$name: the execution ends $status");
		if ($status eq 'completed') {
			like(output_text($t, $tok, $id), $re, "$name: with the answer");
		} else {
			like(node_error($t, $id), $re, "$name: with a readable error");
		}
		# The worst case: (1 + the client's retries) requests per run, and
		# the engine's four runs for what a later try can fix.
		is(scalar(chat_requests($llm)), $requests, "$name: $requests request(s) to the provider")
			if defined $requests;
	}
}

sub test_killed_mid_loop {
	my ($t, $tok, $llm, $cred, $port) = @_;
	$llm->clear_requests;
	# The second model call is slow: the executor is killed while it waits.
	$llm->script([
		{ match => 'resume me', tool_calls => [{ name => 'calculator', args => { expression => '2+3' } }] },
		{ match => '5', text => 'Five.', delay => 4 },
	]);
	agent_workflow($t, $tok, 'resumable', cred => $cred, tools => [['calc', 'calculator', {}]]) or return;
	my $id = chat_run($t, $tok, 'resumable', 'resume me') or return;
	ok(PipelitTest::wait_until(30, sub { scalar(chat_requests($llm)) >= 2 }), 'the second model call is in flight') or return;
	kill 'KILL', $_ for $t->executor_pids;
	is(wait_execution($t, $id, 90)->{status}, 'completed', 'the agent completes after its executor was killed')
		or diag(node_error($t, $id));
	is(output_text($t, $tok, $id), 'Five.', 'with the final answer');
	my @r = chat_requests($llm);
	my @first = grep { ($_->{body}{messages}[-1]{content} // '') eq 'resume me' } @r;
	is(scalar @first, 1, 'the first model call was not made again (resumed from the checkpoint)');
	my $last = $r[-1]{body}{messages};
	is(scalar(grep { ($_->{role} // '') eq 'tool' } @$last), 1, 'the tool result is in the thread once');
	is(scalar(grep { ($_->{role} // '') eq 'assistant' } @$last), 1, 'the tool call too');
	is($t->db_query("SELECT attempt FROM execution_logs WHERE execution_id = '$id' AND node_id = 'agent'"), 2,
		'the agent ran as its second attempt');
}

# The writes of an agent's turn (the budget reservation and settlement,
# the checkpoint) commit without waiting for the disk; an executor killed
# in the middle of a turn still leaves everything a user sees consistent:
# the call answered before the kill is neither made again nor counted
# twice, the day's and the execution's totals are the answered calls'
# usage, the killed call's reservation stays counted, and the memory
# thread holds each message once.
sub test_killed_mid_turn_accounts {
	my ($t, $tok, $llm, $cred) = @_;
	$llm->clear_requests;
	$llm->script([
		{ match => 'count me', tool_calls => [{ name => 'calculator', args => { expression => '4+5' } }] },
		{ match => '9', text => 'Nine.', delay => 4 },
	]);
	agent_workflow($t, $tok, 'accounted', cred => $cred, tools => [['calc', 'calculator', {}]],
		agent_extra => { conversation_memory => JSON::PP::true },
		workflow => { budget => { max_tokens_per_day => 1000000 } }) or return;
	my $id = chat_run($t, $tok, 'accounted', 'count me') or return;
	ok(PipelitTest::wait_until(30, sub { scalar(chat_requests($llm)) >= 2 }), 'the second model call is in flight') or return;
	kill 'KILL', $_ for $t->executor_pids;
	is(wait_execution($t, $id, 90)->{status}, 'completed', 'the agent completes after its executor was killed')
		or diag(node_error($t, $id));
	my @r = chat_requests($llm);
	my @first = grep { ($_->{body}{messages}[-1]{content} // '') eq 'count me' } @r;
	is(scalar @first, 1, 'the call answered before the kill was not made again');
	is(scalar @r, 3, 'three requests: the first call, the killed one, its repeat');
	# Settled: the first call and the repeat; the killed call is still a
	# reservation (charged at its estimate once PIPELIT_BUDGET_RESERVATION_SECONDS pass).
	my $used = 0;
	$used += $_->{reply}{usage}{input_tokens} + $_->{reply}{usage}{output_tokens} for $r[0], $r[2];
	my $x = detail($t, $tok, $id);
	is($x->{llm_calls}, 2, 'the execution counts two settled calls');
	is($x->{total_tokens}, $used, "the execution's tokens are their usage");
	my (undef, $wf) = api($t, $tok, 'GET', 'workflows/accounted/');
	is($wf->{budget_today}{tokens}, $used, "today's tokens are the same");
	is($t->db_query("SELECT count(*) FROM budget_reservations WHERE execution_id = '$id'"), 1,
		"the killed call's reservation still counts");
	my ($res, $h) = api($t, $tok, 'GET', 'workflows/accounted/chat/history');
	is($res->{status}, 200, 'chat history answers');
	is_deeply([map { "$_->{role}:$_->{text}" } grep { ($_->{text} // '') ne '' && $_->{text} !~ /System instructions/ }
			@{ $h->{messages} // [] }],
		['user:count me', 'assistant:Nine.'], 'the memory thread holds each message once')
		or diag($res->{content});
}

sub test_budgets {
	my ($t, $tok, $llm, $cred) = @_;
	$llm->clear_requests;
	$llm->script([{ match => 'budgeted', text => 'ok', delay => 0.3 }]);
	# A call reserves its input estimate (about 1000 tokens: the long prompt
	# goes as the system message and as its fallback) plus max_tokens (1),
	# and uses a little less (the double counts characters / 4).  Five
	# reservations fit in 5500 tokens; once five calls used theirs, a sixth
	# reservation does not.
	my $prompt = join ' ', ('Answer in one word.') x 105;
	agent_workflow($t, $tok, 'budgeted', cred => $cred, prompt => $prompt, model_config => { max_tokens => 1 },
		workflow => { budget => { max_tokens_per_day => 5500 } }) or return;
	my @ids = map { chat_run($t, $tok, 'budgeted', 'budgeted') } 1 .. 20;
	my @rows = map { wait_execution($t, $_, 120) } @ids;
	my @calls = grep { ($_->{body}{messages}[-1]{content} // '') eq 'budgeted' } chat_requests($llm);
	is(scalar @calls, 5, 'exactly 5 of 20 parallel calls reached the provider');
	is(scalar(grep { $_->{status} eq 'completed' } @rows), 5, 'five executions completed');
	my @refused = grep { node_error($t, $_) =~ /^budget_exceeded: / } @ids;
	is(scalar @refused, 15, 'the fifteen others failed with budget_exceeded') or diag(node_error($t, $ids[-1]));
	my ($in, $out) = (0, 0);
	$in += $_->{reply}{usage}{input_tokens}, $out += $_->{reply}{usage}{output_tokens} for @calls;
	my (undef, $wf) = api($t, $tok, 'GET', 'workflows/budgeted/');
	is($wf->{budget_today}{tokens}, $in + $out, "today's tokens are the calls' usage");
	# gpt-4o-mini: 0.15 and 0.60 USD per million tokens.
	my $cost = 0;
	$cost += detail($t, $tok, $_)->{total_cost_usd} // 0 for @ids;
	is(sprintf('%.6f', $cost), sprintf('%.6f', ($in * 0.15 + $out * 0.60) / 1e6), 'the costs add up');
}

sub test_unpriced {
	my ($t, $tok, $llm, $cred) = @_;
	$llm->script([{ text => 'never' }]);
	agent_workflow($t, $tok, 'unpriced', cred => $cred, model => 'house-model-x',
		workflow => { budget => { max_usd_per_execution => 1 } }) or return;
	my $id = chat_run($t, $tok, 'unpriced', 'hi') or return;
	is(wait_execution($t, $id, 60)->{status}, 'failed', 'a USD limit over an unpriced model is refused');
	like(node_error($t, $id), qr/^budget_unpriced: .*house-model-x/, 'naming the model');
}

# The models checked for a price are the run's (its snapshot's): an edit
# while the run waits changes nothing for it.
sub test_priced_from_snapshot {
	my ($t, $tok, $llm, $cred) = @_;
	$llm->script([{ text => 'priced answer' }]);
	build_workflow($t, $tok, 'snap-priced', [
		{ node_id => 'chat', component_type => 'trigger_chat' },
		{ node_id => 'pause', component_type => 'wait', config => { extra_config => { duration => 3 } } },
		{ node_id => 'agent', component_type => 'agent', config => {} },
		{ node_id => 'model', component_type => 'ai_model', config => { model_name => 'gpt-4o-mini',
			llm_credential_id => $cred } }],
		[['chat', 'pause'], ['pause', 'agent'], ['model', 'agent', { edge_label => 'llm' }]],
		{ budget => { max_usd_per_execution => 1 } }) or return;
	my $set_model = sub {
		my ($res) = api($t, $tok, 'PATCH', 'workflows/snap-priced/nodes/model/',
			{ config => { model_name => $_[0], llm_credential_id => $cred } });
		$res->{status} == 200 or diag("patch: $res->{status} $res->{content}");
	};
	my $id = chat_run($t, $tok, 'snap-priced', 'hi') or return;
	$set_model->('house-model-y');
	is(wait_execution($t, $id, 60)->{status}, 'completed',
		'a run started with a priced model completes after the workflow is edited to an unpriced one')
		or diag(node_error($t, $id));
	$id = chat_run($t, $tok, 'snap-priced', 'hi') or return;
	$set_model->('gpt-4o-mini');
	is(wait_execution($t, $id, 60)->{status}, 'failed', 'a run started with the unpriced one is refused');
	like(node_error($t, $id), qr/^budget_unpriced: .*house-model-y/, 'naming the model of its snapshot');
}

sub test_no_key_anywhere {
	my ($t, $tok) = @_;
	unlike($t->log_tail(100000), qr/\Q$KEY\E/, 'the key is in no log line');
	my $rows = $t->db_query("SELECT count(*) FROM execution_logs WHERE CAST(output AS TEXT) LIKE '%$KEY%' "
		. "OR CAST(input AS TEXT) LIKE '%$KEY%' OR error LIKE '%$KEY%'");
	is($rows, 0, 'nor in any log row');
	my (undef, $list) = api($t, $tok, 'GET', 'executions/?limit=200');
	unlike(encode_json($list // {}), qr/\Q$KEY\E/, 'nor in any execution answer');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $llm = FakeLLM->start;
	my ($http_pid, $port) = start_http_server();
	my $t = PipelitTest->started(db_url => $db_url,
		env => { ZOMBIE_EXECUTION_THRESHOLD_SECONDS => $LEASE, PIPELIT_OUTBOUND_ALLOW => '127.0.0.1',
			 PIPELIT_EXECUTORS => 1 }) or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	my $bob = make_user($t, 'bob', 'bob-pass-1', 'normal') or return;
	my $cred = credential($t, $alice, $llm) or return;
	my $bob_cred = credential($t, $bob, $llm) or return;
	subtest round_trip => sub { test_round_trip($t, $alice, $llm, $cred) };
	subtest credential_edit => sub { test_credential_edit($t, $alice, $llm) };
	subtest agents_in_a_row => sub { test_agents_in_a_row($t, $alice, $llm, $cred) };
	subtest anthropic => sub { test_anthropic($t, $alice, $llm, credential($t, $alice, $llm, provider => 'anthropic')) };
	subtest streaming => sub { test_streaming($t, $alice, $llm, $cred) };
	subtest categorizer_extractor => sub { test_categorizer_extractor($t, $alice, $llm, $cred) };
	subtest memory_tools => sub { test_memory_tools($t, $alice, $llm, $cred) };
	subtest tool_loop => sub { test_tool_loop($t, $alice, $llm, $cred, $port) };
	subtest web_search => sub { test_web_search($t, $alice, $llm, $cred, $port) };
	subtest step_cap => sub { test_step_cap($t, $alice, $llm, $cred) };
	subtest memory => sub { test_memory($t, $alice, $bob, $llm, $cred, $bob_cred) };
	subtest faults => sub { test_faults($t, $alice, $llm, $cred) };
	subtest killed_mid_loop => sub { test_killed_mid_loop($t, $alice, $llm, $cred, $port) };
	subtest killed_mid_turn_accounts => sub { test_killed_mid_turn_accounts($t, $alice, $llm, $cred) };
	subtest budgets => sub { test_budgets($t, $alice, $llm, $cred) };
	subtest unpriced => sub { test_unpriced($t, $alice, $llm, $cred) };
	subtest priced_from_snapshot => sub { test_priced_from_snapshot($t, $alice, $llm, $cred) };
	subtest no_key_anywhere => sub { test_no_key_anywhere($t, $alice) };
	kill 'KILL', $http_pid;
	waitpid($http_pid, 0);
});

done_testing();
