# Executions as a user sees them run, through the API alone: a manual run
# and a chat reaching reply_chat complete with its output and logs (the
# detail and the list naming the trigger node that started the run); an
# execution waiting in a `wait` node is cancelled and never reaches its
# successor; a human confirmation waits `interrupted` and resumes on
# confirm (or ends on cancel); deleting a workflow with an execution in
# flight cancels it.  Both backends.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use PipelitTest;
use PipelitAuth;

need_nginx();

my $PATIENCE = 60;    # seconds a poll waits for a state: a deadline, not a measurement

sub api {
	my ($t, $token, $method, $path, $body) = @_;
	my %o = (headers => bearer($token));
	$o{content} = $body if defined $body;
	my $res = $t->request($method, "/api/v1/$path", \%o);
	return ($res, $t->json($res));
}

sub ok_api {
	my ($t, $token, $method, $path, $body, $want, $name) = @_;
	my ($res, $j) = api($t, $token, $method, $path, $body);
	is($res->{status}, $want, $name) or diag($res->{content});
	return $j;
}

# A workflow with nodes [node_id, type, extra_config] and edges [from, to].
sub build {
	my ($t, $token, $slug, $nodes, $edges) = @_;
	ok_api($t, $token, 'POST', 'workflows/', { name => $slug, slug => $slug }, 201, "workflow $slug") or return 0;
	for my $n (@$nodes) {
		ok_api($t, $token, 'POST', "workflows/$slug/nodes/", { node_id => $n->[0], component_type => $n->[1],
			config => { extra_config => $n->[2] // {} } }, 201, "node $n->[0]") or return 0;
	}
	for my $e (@$edges) {
		ok_api($t, $token, 'POST', "workflows/$slug/edges/", { source_node_id => $e->[0],
			target_node_id => $e->[1] }, 201, "edge $e->[0] -> $e->[1]") or return 0;
	}
	return 1;
}

# Polls the execution's status until it is one of @want; the last status
# answer.
sub wait_status {
	my ($t, $token, $id, @want) = @_;
	my %want = map { $_ => 1 } @want;
	my $last = {};
	wait_until($PATIENCE, sub {
		my (undef, $j) = api($t, $token, 'GET', "executions/$id/status/");
		$last = $j // {};
		return $want{ $last->{status} // '' };
	});
	ok($want{ $last->{status} // '' }, "execution reaches " . join('|', @want))
		or diag('status: ' . ($last->{status} // '?') . ' ' . ($last->{error_message} // ''));
	return $last;
}

sub test_manual_run {
	my ($t, $alice) = @_;
	build($t, $alice, 'hello', [ [ 'start', 'trigger_manual' ],
		[ 'reply', 'reply_chat', { message => 'Hello {{ trigger.text }}' } ] ], [ [ 'start', 'reply' ] ]) or return;
	my $j = ok_api($t, $alice, 'POST', 'workflows/hello/execute/', { text => 'world' }, 200, 'execute') or return;
	my $st = wait_status($t, $alice, $j->{execution_id}, qw(completed failed));
	is($st->{status}, 'completed', 'completed');
	is_deeply($st->{final_output}, { output => 'Hello world' }, 'final_output is the reply');
	like($st->{started_at} // '', qr/Z$/, 'started_at set');
	like($st->{completed_at} // '', qr/Z$/, 'completed_at set');
	my $d = ok_api($t, $alice, 'GET', "executions/$j->{execution_id}/", undef, 200, 'detail');
	my @reply = grep { $_->{node_id} eq 'reply' } @{ $d->{logs} // [] };
	is(scalar @reply, 1, 'the reply node logged once');
	is($reply[0]{status} . '#' . $reply[0]{attempt}, 'completed#1', 'completed at its first attempt');
	my $list = ok_api($t, $alice, 'GET', 'executions/?workflow_slug=hello', undef, 200, 'list');
	is($list->{items}[0]{status}, 'completed', 'the list shows it completed');
	# The engine runs no trigger node: the execution names the one that started it.
	is($d->{trigger_node_id}, 'start', 'the detail names the trigger that started the run');
	is($list->{items}[0]{trigger_node_id}, 'start', 'so does the list');
}

sub test_chat_run {
	my ($t, $alice) = @_;
	build($t, $alice, 'talk', [ [ 'in', 'trigger_chat' ],
		[ 'reply', 'reply_chat', { message => 'You said: {{ trigger.text }}' } ] ], [ [ 'in', 'reply' ] ]) or return;
	my $j = ok_api($t, $alice, 'POST', 'workflows/talk/chat/', { text => 'hi' }, 200, 'chat') or return;
	my $st = wait_status($t, $alice, $j->{execution_id}, qw(completed failed));
	is_deeply($st->{final_output}, { output => 'You said: hi' }, 'the reply is the output');
}

sub test_cancel_waiting {
	my ($t, $alice) = @_;
	build($t, $alice, 'slow', [ [ 'start', 'trigger_manual' ], [ 'nap', 'wait', { duration => 600 } ],
		[ 'reply', 'reply_chat', { message => 'woke' } ] ], [ [ 'start', 'nap' ], [ 'nap', 'reply' ] ]) or return;
	my $j = ok_api($t, $alice, 'POST', 'workflows/slow/execute/', {}, 200, 'execute') or return;
	my $id = $j->{execution_id};
	wait_until($PATIENCE, sub {
		my (undef, $d) = api($t, $alice, 'GET', "executions/$id/");
		return grep { $_->{node_id} eq 'nap' } @{ $d->{logs} // [] };
	});
	my $c = ok_api($t, $alice, 'POST', "executions/$id/cancel/", undef, 200, 'cancel while it waits');
	is($c->{status}, 'cancelled', 'cancelled');
	is($t->db_query("SELECT count(*) FROM execution_jobs WHERE execution_id = '$id'"), '0',
		'nothing left that could run');
	my $d = ok_api($t, $alice, 'GET', "executions/$id/", undef, 200, 'detail');
	is($d->{status}, 'cancelled', 'still cancelled');
	ok(!grep({ $_->{node_id} eq 'reply' } @{ $d->{logs} // [] }), 'the successor never ran');

	$j = ok_api($t, $alice, 'POST', 'workflows/slow/execute/', {}, 200, 'another run') or return;
	$id = $j->{execution_id};
	wait_status($t, $alice, $id, 'running');
	ok_api($t, $alice, 'DELETE', 'workflows/slow/', undef, 204, 'delete the workflow under it');
	is($t->db_query("SELECT count(*) FROM workflow_executions WHERE execution_id = '$id'"), '0', 'the execution is gone');
	my ($res) = api($t, $alice, 'GET', "executions/$id/status/");
	is($res->{status}, 404, 'and answered as missing');
}

sub test_confirmation {
	my ($t, $alice) = @_;
	build($t, $alice, 'ask', [ [ 'start', 'trigger_manual' ], [ 'gate', 'human_confirmation', { prompt => 'Go?' } ],
		[ 'reply', 'reply_chat', { message => 'went' } ] ], [ [ 'start', 'gate' ], [ 'gate', 'reply' ] ]) or return;
	my $j = ok_api($t, $alice, 'POST', 'workflows/ask/execute/', {}, 200, 'execute') or return;
	my $id = $j->{execution_id};
	wait_status($t, $alice, $id, 'interrupted');
	my $c = ok_api($t, $alice, 'POST', "executions/$id/confirm/", { action => 'confirm' }, 200, 'confirm');
	# The answer is read after the commit, and an executor may already have
	# finished the run by then.
	like($c->{status}, qr/^(running|completed)$/, 'running again (or already done)');
	my $st = wait_status($t, $alice, $id, qw(completed failed));
	is_deeply($st->{final_output}, { output => 'went' }, 'it went on after the confirmation');

	$j = ok_api($t, $alice, 'POST', 'workflows/ask/execute/', {}, 200, 'execute again') or return;
	$id = $j->{execution_id};
	wait_status($t, $alice, $id, 'interrupted');
	$c = ok_api($t, $alice, 'POST', "executions/$id/confirm/", { action => 'cancel' }, 200, 'cancel the confirmation');
	is($c->{status}, 'cancelled', 'cancelled');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url) or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	subtest manual_run => sub { test_manual_run($t, $alice) };
	subtest chat_run => sub { test_chat_run($t, $alice) };
	subtest cancel_waiting => sub { test_cancel_waiting($t, $alice) };
	subtest confirmation => sub { test_confirmation($t, $alice) };
});

done_testing();
