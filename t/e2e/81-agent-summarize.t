# An agent with conversation memory and compacting "summarize"
# (pipelit-engine.md 7.5; doc/agents.md "Summarising"), end to end through
# the API, a real pool and the LLM double (t/lib/FakeLLM.pm):
#  - turns under the trigger make no summary call;
#  - the turn that passes it makes exactly one, whose request carries the
#    oldest messages and not the kept ones;
#  - that turn's model call carries the summary and not the summarised
#    messages; the summary's tokens count in the execution's usage;
#  - the next turn starts from the summary and does not summarise again;
#  - the chat history still shows every message;
#  - a summary call that fails fails the node with a readable error.
# Both backends.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use PipelitTest;
use PipelitAuth;
use PipelitEngine;
use FakeLLM;

need_nginx();

my $SUMMARY_PROMPT = 'You condense conversations';
my $SUMMARY = 'SUMMARY-7Q the user has been counting turns';

sub chat_requests { grep { $_->{path} =~ m{/chat/completions$} } $_[0]->requests }
sub is_summary_request { encode_json($_[0]{body}) =~ /\Q$SUMMARY_PROMPT\E/ }

# About 600 tokens a turn: the window of 4000 and a trigger of 50 % make
# the fourth turn pass it.
sub turn_text { my ($n) = @_; return "turn-$n " . ('lorem ' x 400) }

sub chat_turn {
	my ($t, $tok, $llm, $n) = @_;
	$llm->clear_requests;
	my ($res, $j) = api($t, $tok, 'POST', 'workflows/summing/chat/', { text => turn_text($n) });
	$res->{status} == 200 or return diag("chat: $res->{status} $res->{content}");
	my $row = wait_execution($t, $j->{execution_id}, 60);
	my @r = chat_requests($llm);
	return ($row, $j->{execution_id}, [grep { is_summary_request($_) } @r], [grep { !is_summary_request($_) } @r]);
}

sub node_error {
	my ($t, $id) = @_;
	return $t->db_query("SELECT error_code || ': ' || error FROM execution_logs WHERE execution_id = '$id' "
		. "AND node_id = 'agent' ORDER BY id DESC LIMIT 1") // '';
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $llm = FakeLLM->start;
	my $t = PipelitTest->started(db_url => $db_url, env => { PIPELIT_EXECUTORS => 1, PIPELIT_OUTBOUND_ALLOW => '127.0.0.1' }) or return;
	my $tok = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	my ($res, $cred) = api($t, $tok, 'POST', 'credentials/', { name => 'fake', credential_type => 'llm',
		detail => { provider_type => 'openai_compatible', api_key => 'sk-summary-test', base_url => $llm->url('/v1') } });
	is($res->{status}, 201, 'a credential') or return;
	build_workflow($t, $tok, 'summing', [
		{ node_id => 'chat', component_type => 'trigger_chat' },
		{ node_id => 'agent', component_type => 'agent', config => { system_prompt => 'Be brief.',
			extra_config => { conversation_memory => JSON::PP::true, context_window => 4000,
				compacting => 'summarize', compacting_trigger => 50, compacting_keep => 3 } } },
		{ node_id => 'model', component_type => 'ai_model', config => { model_name => 'gpt-4o-mini',
			llm_credential_id => $cred->{id}, max_retries => 0 } }],
		[['chat', 'agent'], ['model', 'agent', { edge_label => 'llm' }]]) or return;
	$llm->script([{ match_body => $SUMMARY_PROMPT, text => $SUMMARY }, { text => 'ok' }]);

	for my $n (1 .. 3) {
		my ($row, $id, $sum) = chat_turn($t, $tok, $llm, $n);
		is($row->{status}, 'completed', "turn $n completes") or diag(node_error($t, $id));
		is(scalar @$sum, 0, "turn $n: under the trigger, no summary call");
	}

	my ($row, $id, $sum, $main) = chat_turn($t, $tok, $llm, 4);
	is($row->{status}, 'completed', 'turn 4 completes') or diag(node_error($t, $id));
	is(scalar @$sum, 1, 'turn 4 passes the trigger: exactly one summary call');
	my $sbody = encode_json($sum->[0]{body} // {});
	like($sbody, qr/turn-1 .*turn-2 /s, 'its request carries the oldest messages');
	unlike($sbody, qr/turn-[34] /, 'and not the kept ones');
	is(scalar @$main, 1, 'then one model call');
	my $mbody = encode_json($main->[0]{body} // {});
	like($main->[0]{body}{messages}[0]{content} // '', qr/\Q$SUMMARY\E/, 'which carries the summary as system text');
	unlike($mbody, qr/turn-[12] /, 'and not the summarised messages');
	like($mbody, qr/turn-3 .*turn-4 /s, 'but the kept ones');
	my (undef, $d) = api($t, $tok, 'GET', "executions/$id/");
	is($d->{llm_calls}, 2, "the execution counts both calls");
	my $tokens = 0;
	$tokens += $_->{reply}{usage}{input_tokens} + $_->{reply}{usage}{output_tokens} for @$sum, @$main;
	is($d->{total_tokens}, $tokens, "the summary's tokens are in the execution's usage");

	($row, $id, $sum, $main) = chat_turn($t, $tok, $llm, 5);
	is($row->{status}, 'completed', 'turn 5 completes') or diag(node_error($t, $id));
	is(scalar @$sum, 0, 'turn 5 does not summarise again');
	$mbody = encode_json($main->[0]{body} // {});
	like($mbody, qr/\Q$SUMMARY\E/, 'it starts from the stored summary');
	unlike($mbody, qr/turn-[12] /, 'without the summarised messages');
	my (undef, $h) = api($t, $tok, 'GET', 'workflows/summing/chat/history?limit=0');
	is_deeply([map { $_->{text} =~ /^(turn-\d+)/ ? $1 : () } grep { $_->{role} eq 'user' } @{ $h->{messages} // [] }],
		[map { "turn-$_" } 1 .. 5], 'the chat history still shows every message');
	ok(!grep({ $_->{text} =~ /SUMMARY-7Q/ } @{ $h->{messages} // [] }), 'and not the summary');

	# Turn 6 passes the trigger again; the provider refuses the summary.
	$llm->script([{ match_body => $SUMMARY_PROMPT, status => 400, error => 'summary refused here' }, { text => 'ok' }]);
	($row, $id, $sum, $main) = chat_turn($t, $tok, $llm, 6);
	is($row->{status}, 'failed', 'a failed summary call fails the execution');
	like(node_error($t, $id), qr/^llm_http_400: the summary call failed: .*summary refused here/, 'with a readable error');
	is(scalar @$main, 0, 'and no model call is made');
});

done_testing();
