# An agent's answer arriving while PostgreSQL does not answer (doc/budgets.md,
# "Durability"): the executor writes the answer's settlement and checkpoint
# with the round's others; a try that meets the database's deadline is
# tried again until the database is back, not given up (which would charge
# the call at its worst case).  Through the API, a real pool with one
# executor, the LLM double (t/lib/FakeLLM.pm) and a PostgreSQL cluster of
# the test's own, stopped with SIGSTOP while the model call is in flight.
use strict;
use warnings;
use Test::More;
use PipelitTest;
use PipelitAuth;
use PipelitEngine;
use PipelitPgCluster;
use FakeLLM;

need_nginx();
my $pg = PipelitPgCluster->start(tcp => 1)
	or plan skip_all => "no PostgreSQL cluster of our own: $PipelitPgCluster::WHY";
my $llm = FakeLLM->start;
my $t = PipelitTest->started(db_url => $pg->url, env => { PIPELIT_DB_QUERY_TIMEOUT_SECONDS => 2,
	PIPELIT_OUTBOUND_ALLOW => '127.0.0.1', PIPELIT_EXECUTORS => 1 }) or exit 1;
my $tok = make_user($t, 'alice', 'alice-pass-1', 'normal') or exit 1;

my ($res, $cred) = api($t, $tok, 'POST', 'credentials/', { name => 'double', credential_type => 'llm',
	detail => { provider_type => 'openai_compatible', api_key => 'sk-pause-test', base_url => $llm->url('/v1') } });
is($res->{status}, 201, 'an LLM credential') or diag($res->{content});
# The answer comes 3 s after the request: long enough to stop the server
# first, and then past the 2 s deadline of the statements waiting for it.
$llm->script([{ match => 'while away', text => 'Answered while the database was away.', delay => 3,
	usage => { input_tokens => 11, output_tokens => 7 } }]);
ok(build_workflow($t, $tok, 'paused', [
	{ node_id => 'chat', component_type => 'trigger_chat' },
	{ node_id => 'agent', component_type => 'agent', config => { system_prompt => 'Answer.' } },
	{ node_id => 'model', component_type => 'ai_model', config => { model_name => 'gpt-4o-mini',
		llm_credential_id => $cred->{id}, max_retries => 0 } },
], [['chat', 'agent'], ['model', 'agent', { edge_label => 'llm' }]],
	{ budget => { max_tokens_per_day => 1000000 } }), 'a budgeted workflow: chat -> agent') or exit 1;

my ($chat, $started) = api($t, $tok, 'POST', 'workflows/paused/chat/', { text => 'answer me while away' });
is($chat->{status}, 200, 'the chat starts') or diag($chat->{content});
my $id = $started->{execution_id} or exit 1;
ok(PipelitTest::wait_until(30, sub { scalar(grep { $_->{method} eq 'POST' } $llm->requests) >= 1 }),
	'the model call reached the double') or exit 1;
ok($pg->stop_server, 'the database stops answering while the call is in flight (SIGSTOP)');
ok(PipelitTest::wait_until(90, sub {
		$t->log_text =~ /committing \d+ agent turns failed \(transient[^\n]*; retrying/ }),
	"the executor could not write the answer's turn, and tries again") or diag($t->log_tail);
ok($pg->continue_server, 'the database answers again (SIGCONT)');

is(wait_execution($t, $id, 120)->{status}, 'completed', 'the agent completes') or diag($t->log_tail);
my (undef, $x) = api($t, $tok, 'GET', "executions/$id/");
is(($x // {})->{llm_calls}, 1, 'the execution counts its one call');
is(($x // {})->{total_tokens}, 18, "and the call's usage (11 + 7), settled, not its estimate");
my (undef, $wf) = api($t, $tok, 'GET', 'workflows/paused/');
is((($wf // {})->{budget_today} // {})->{tokens}, 18, "today's tokens are the same");
is($t->db_query("SELECT count(*) FROM budget_reservations WHERE execution_id = '$id'"), 0,
	'no reservation is left to be charged at its estimate');
is(scalar(grep { $_->{method} eq 'POST' } $llm->requests), 1, 'the model was called once');

done_testing();
