# The executor's event loop under many agent turns at once (doc/engine.md,
# "Nodes that wait on I/O"), through the API, a real pool with one executor
# and the LLM double (t/lib/FakeLLM.pm) on 127.0.0.1:
#  - one agent's call stalls (the double reads the request and never
#    answers); meanwhile 100 chats, each asking its own question and
#    streamed, all complete with their own answer: a stalled transfer holds
#    up no other;
#  - the stalled one is still running, and cancelling it ends it cancelled;
#  - a chat after that still completes (the loop goes on).
# Both backends.
use strict;
use warnings;
use Test::More;
use PipelitTest;
use PipelitAuth;
use PipelitEngine;
use FakeLLM;

need_nginx();

my $N = 100;

sub credential {
	my ($t, $tok, $llm) = @_;
	my ($res, $j) = api($t, $tok, 'POST', 'credentials/', { name => 'double', credential_type => 'llm',
		detail => { provider_type => 'openai_compatible', api_key => 'sk-loop-test', base_url => $llm->url('/v1') } });
	$res->{status} == 201 or diag("credential: $res->{status} $res->{content}");
	return $j->{id};
}

sub chat_run {
	my ($t, $tok, $text) = @_;
	my ($res, $j) = api($t, $tok, 'POST', 'workflows/many/chat/', { text => $text });
	$res->{status} == 200 or do { diag("chat: $res->{status} $res->{content}"); return undef };
	return $j->{execution_id};
}

sub output_text {
	my ($t, $tok, $id) = @_;
	my (undef, $d) = api($t, $tok, 'GET', "executions/$id/");
	my $out = ($d // {})->{final_output};
	return ref $out eq 'HASH' ? $out->{output} // $out->{message} // '' : $out // '';
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $llm = FakeLLM->start;
	my $t = PipelitTest->started(db_url => $db_url,
		env => { PIPELIT_OUTBOUND_ALLOW => '127.0.0.1', PIPELIT_EXECUTORS => 1 }) or return;
	my $tok = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	my $cred = credential($t, $tok, $llm) or return;
	# Each question its own answer, a little later, so the calls overlap.
	$llm->script([
		{ match => 'stall here', stall => 1 },
		(map { { match => "question $_.", text => "answer number $_", delay => 0.3 } } 1 .. $N),
		{ match => 'after', text => 'still here' },
	]);
	build_workflow($t, $tok, 'many', [
		{ node_id => 'chat', component_type => 'trigger_chat' },
		{ node_id => 'agent', component_type => 'agent', config => { system_prompt => 'Answer.' } },
		{ node_id => 'model', component_type => 'ai_model', config => { model_name => 'gpt-4o-mini',
			llm_credential_id => $cred, timeout => 600, max_retries => 0 } },
	], [['chat', 'agent'], ['model', 'agent', { edge_label => 'llm' }]]) or return;

	my $stalled = chat_run($t, $tok, 'stall here') or return;
	ok(PipelitTest::wait_until(60, sub { grep { ($_->{body}{messages}[-1]{content} // '') eq 'stall here' }
		$llm->requests }), 'the stalled call reached the double') or return;
	my %ids = map { ($_ => chat_run($t, $tok, "question $_.")) } 1 .. $N;
	my @rows = map { [$_, wait_execution($t, $ids{$_}, 300)] } sort { $a <=> $b } keys %ids;
	my @done = grep { ($_->[1]{status} // '') eq 'completed' } @rows;
	is(scalar @done, $N, "all $N chats completed while one call stalled") or diag($t->log_tail);
	my @wrong = grep { output_text($t, $tok, $ids{$_->[0]}) ne "answer number $_->[0]" } @done;
	is(scalar @wrong, 0, 'each with its own answer')
		or diag("question $wrong[0][0]: " . output_text($t, $tok, $ids{ $wrong[0][0] }));

	is(execution_row($t, $stalled)->{status}, 'running', 'the stalled chat is still running');
	my ($res) = api($t, $tok, 'POST', "executions/$stalled/cancel/");
	is($res->{status}, 200, 'cancelling it answers 200') or diag($res->{content});
	is(wait_execution($t, $stalled, 60)->{status}, 'cancelled', 'and it ends cancelled');

	my $after = chat_run($t, $tok, 'after') or return;
	is(wait_execution($t, $after, 60)->{status}, 'completed', 'a chat after that completes');
	is(output_text($t, $tok, $after), 'still here', 'with its answer');
});

done_testing();
