# The executions API (/api/v1/executions/...) over executions written
# straight into the database, as the engine leaves them: the list (newest
# first, not yet started last, filters, pagination, its 422s), the detail
# with its logs in time order and their attempts, the status, cancel from
# every state (a finished one is answered unchanged), the confirmation of
# an interrupted execution (confirm re-queues its waiting node, cancel,
# expired, not waiting), batch delete (finished only), scoping between two
# users and an admin, the execution_cancelled event with its sequence
# number, and a workflow's delete cancelling its executions in flight.
# Every answer is checked against the OpenAPI document.  Both backends.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use PipelitTest;
use PipelitAuth;
use PipelitEvents;
use OpenAPISchema;

need_nginx();

my $OA = OpenAPISchema->new(decode_json(PipelitTest::slurp(srcdir() . '/doc/openapi.json')));

my @OUT_KEYS = qw(execution_id workflow_slug trigger_node_id status error_message started_at completed_at total_tokens
	total_cost_usd llm_calls budget_used);
my $ISO = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

# Requests $method on the route $template with {params} from %$p, checks
# the answer against the document; returns (response, JSON).
sub call {
	my ($t, $token, $method, $template, $p, $body, $query) = @_;
	(my $path = $template) =~ s/\{(\w+)\}/$p->{$1}/g;
	$path .= $query // '';
	my %o = (headers => bearer($token));
	$o{content} = $body if defined $body;
	my $res = $t->request($method, $path, \%o);
	my $json = length($res->{content} // '') ? $t->json($res) : undef;
	my @errors = $OA->check_response($method, $template, $res->{status}, $json);
	ok(!@errors, "$method $path $res->{status} matches the document") or diag(join("\n", @errors));
	return ($res, $json);
}

sub list { my ($t, $token, $q) = @_; return call($t, $token, 'GET', '/api/v1/executions/', {}, undef, $q) }
sub detail { call($_[0], $_[1], 'GET', '/api/v1/executions/{execution_id}/', { execution_id => $_[2] }) }
sub status { call($_[0], $_[1], 'GET', '/api/v1/executions/{execution_id}/status/', { execution_id => $_[2] }) }
sub cancel { call($_[0], $_[1], 'POST', '/api/v1/executions/{execution_id}/cancel/', { execution_id => $_[2] }) }
sub confirm {
	my ($t, $token, $id, $body) = @_;
	return call($t, $token, 'POST', '/api/v1/executions/{execution_id}/confirm/', { execution_id => $id }, $body);
}
sub batch_delete { call($_[0], $_[1], 'POST', '/api/v1/executions/batch-delete/', {}, $_[2]) }

my $seq = 0;
sub new_id { return sprintf('%08x-0000-4000-8000-%012x', $$, ++$seq) }

sub lit { my ($v) = @_; return defined $v ? "'" . ($v =~ s/'/''/gr) . "'" : 'NULL' }

sub sql { my ($t, $sql) = @_; my $out = $t->db_query($sql); ok(defined $out, 'SQL ran') or diag($sql); return $out }

# An execution row as the engine writes one; returns its id.
sub insert_exec {
	my ($t, $wf, $uid, %o) = @_;
	my $id = $o{id} // new_id();
	sql($t, "INSERT INTO workflow_executions (execution_id, workflow_id, user_profile_id, thread_id, status, "
		. "parent_node_id, retry_count, max_retries, error_message, total_input_tokens, total_output_tokens, "
		. "total_tokens, llm_calls, total_cost_usd, started_at, completed_at, final_output, trigger_payload, "
		. "event_seq) VALUES (" . join(', ', lit($id), $wf, $uid, lit('t'), lit($o{status} // 'pending'), lit(''), 0, 3,
		lit($o{error} // ''), 0, 0, $o{tokens} // 0, $o{llm_calls} // 0, $o{cost} // 0, lit($o{started}),
		lit($o{completed}), lit($o{final_output}), lit($o{payload}), $o{event_seq} // 0) . ")");
	return $id;
}

sub insert_log {
	my ($t, $id, $node, $ts, %o) = @_;
	sql($t, "INSERT INTO execution_logs (execution_id, node_id, status, input, output, error, error_code, "
		. "metadata, retry_count, duration_ms, timestamp, attempt) VALUES (" . join(', ', lit($id), lit($node),
		lit($o{status} // 'completed'), lit($o{input}), lit($o{output}), lit($o{error} // ''), lit($o{error_code}),
		lit($o{metadata} // '{}'), 0, $o{duration_ms} // 5, lit($ts), $o{attempt} // 1) . ")");
}

sub insert_job {
	my ($t, $id, $node, $state) = @_;
	sql($t, "INSERT INTO execution_jobs (execution_id, node_id, state, attempt, due_ms) VALUES ("
		. join(', ', lit($id), lit($node), lit($state), 1, 0) . ")");
}

sub insert_task {
	my ($t, $id, $uid, $node, $task, $expires) = @_;
	sql($t, "INSERT INTO pending_tasks (task_id, execution_id, user_profile_id, node_id, prompt, created_at, "
		. "expires_at) VALUES (" . join(', ', lit($task), lit($id), $uid, lit($node), lit('Go on?'),
		lit('2026-01-01 00:00:00.000000'), lit($expires)) . ")");
}

sub count { my ($t, $sql) = @_; return $t->db_query($sql) }

sub make_workflow {
	my ($t, $token, $slug) = @_;
	my ($res, $j) = (undef, undef);
	$res = $t->request('POST', '/api/v1/workflows/', { headers => bearer($token),
		content => { name => $slug, slug => $slug } });
	is($res->{status}, 201, "workflow $slug created") or diag($res->{content});
	return $t->json($res)->{id};
}

sub test_list {
	my ($t, $alice, $ctx) = @_;
	my ($wa, $wb, $uid) = @$ctx{qw(wa wb alice_id)};
	my %e;
	$e{old} = insert_exec($t, $wa, $uid, status => 'completed', started => '2026-01-01 10:00:00.000000',
		completed => '2026-01-01 10:00:05.500000', tokens => 12, llm_calls => 2, cost => 0.25);
	$e{mid} = insert_exec($t, $wb, $uid, status => 'failed', started => '2026-01-02 10:00:00.000000',
		error => 'boom');
	$e{new} = insert_exec($t, $wa, $uid, status => 'running', started => '2026-01-03 10:00:00.000000');
	$e{pending} = insert_exec($t, $wa, $uid, status => 'pending');
	my ($res, $j) = list($t, $alice);
	is($res->{status}, 200, 'list: 200');
	is($j->{total}, 4, 'total: all four');
	is_deeply([map { $_->{execution_id} } @{ $j->{items} }], [@e{qw(new mid old pending)}],
		'newest first by started_at, not yet started last');
	is_deeply([sort keys %{ $j->{items}[0] }], [sort @OUT_KEYS], 'ExecutionOut keys');
	my ($old) = grep { $_->{execution_id} eq $e{old} } @{ $j->{items} };
	is($old->{workflow_slug}, 'flow-a', 'workflow_slug');
	ok(exists $old->{trigger_node_id} && !defined $old->{trigger_node_id},
		'trigger_node_id null for a run recorded without its trigger');
	is($old->{started_at}, '2026-01-01T10:00:00Z', 'started_at ISO-8601 with Z');
	is($old->{completed_at}, '2026-01-01T10:00:05.500000Z', 'completed_at with its fraction');
	is($old->{total_tokens} . '/' . $old->{llm_calls}, '12/2', 'tokens and calls');
	is($old->{total_cost_usd}, 0.25, 'total_cost_usd a number');
	my ($pending) = grep { $_->{execution_id} eq $e{pending} } @{ $j->{items} };
	is($pending->{started_at}, undef, 'not started: started_at null');
	is($pending->{error_message}, '', 'error_message "" when none');

	($res, $j) = list($t, $alice, '?workflow_slug=flow-a');
	is_deeply([map { $_->{execution_id} } @{ $j->{items} }], [@e{qw(new old pending)}], 'filter by workflow');
	is($j->{total}, 3, 'filtered total');
	($res, $j) = list($t, $alice, '?status=failed');
	is_deeply([map { $_->{execution_id} } @{ $j->{items} }], [$e{mid}], 'filter by status');
	($res, $j) = list($t, $alice, '?status=completed&workflow_slug=flow-b');
	is_deeply([$j->{total}, $j->{items}], [0, []], 'both filters, nothing matches');
	($res, $j) = list($t, $alice, '?workflow_slug=no-such');
	is($j->{total}, 0, 'an unknown workflow: empty');
	($res, $j) = list($t, $alice, '?limit=2&offset=1');
	is_deeply([map { $_->{execution_id} } @{ $j->{items} }], [@e{qw(mid old)}], 'limit and offset');
	is($j->{total}, 4, 'total counted before paging');
	($res, $j) = list($t, $alice, '?offset=10');
	is_deeply([$j->{total}, $j->{items}], [4, []], 'offset past the end');
	($res, $j) = list($t, $alice, '?limit=0');
	is_deeply($j->{items}, [], 'limit 0');
	for my $bad ('limit=1001', 'limit=-1', 'limit=abc', 'offset=-1', 'offset=1.5', 'status=' . ('x' x 256),
		'workflow_slug=' . ('y' x 256)) {
		($res) = list($t, $alice, "?$bad");
		is_validation($t, $res, "list ?" . substr($bad, 0, 20));
	}
	($res) = $t->request('GET', '/api/v1/executions/');
	is($res->{status}, 401, 'no key: 401');
	return \%e;
}

sub test_detail_and_status {
	my ($t, $alice, $ctx) = @_;
	my ($wa, $uid) = @$ctx{qw(wa alice_id)};
	my $id = insert_exec($t, $wa, $uid, status => 'completed', started => '2026-02-01 10:00:00.000000',
		completed => '2026-02-01 10:00:01.000000', final_output => '{"output": "hi"}',
		payload => '{"text": "hello"}', event_seq => 7);
	insert_log($t, $id, 'reply', '2026-02-01 10:00:00.900000', output => '{"output": "hi"}', attempt => 2);
	insert_log($t, $id, 'switch', '2026-02-01 10:00:00.300000', status => 'failed', error => 'bad',
		error_code => 'ValueError', attempt => 1, input => '[1, 2]', duration_ms => 40);
	insert_log($t, $id, 'switch', '2026-02-01 10:00:00.500000', output => '{"route": "a"}', attempt => 2);
	my ($res, $j) = detail($t, $alice, $id);
	is($res->{status}, 200, 'detail: 200') or return;
	is_deeply([sort keys %$j], [sort(@OUT_KEYS, qw(final_output trigger_payload confirmation event_seq logs))], 'detail keys');
	is($j->{confirmation}, undef, 'no confirmation awaited: null');
	is_deeply($j->{final_output}, { output => 'hi' }, 'final_output as JSON');
	is_deeply($j->{trigger_payload}, { text => 'hello' }, 'trigger_payload as JSON');
	is($j->{event_seq}, 7, 'event_seq');
	is_deeply([map { "$_->{node_id}#$_->{attempt}" } @{ $j->{logs} }], ['switch#1', 'switch#2', 'reply#2'],
		'logs in time order, each with its attempt');
	my $failed = $j->{logs}[0];
	is_deeply([sort keys %$failed], [sort qw(id node_id status input output error error_code metadata duration_ms
		timestamp attempt)], 'ExecutionLogOut keys');
	is($failed->{status} . '/' . $failed->{error} . '/' . $failed->{error_code}, 'failed/bad/ValueError', 'error fields');
	is_deeply($failed->{input}, [1, 2], 'input as JSON');
	is($failed->{output}, undef, 'no output: null');
	is_deeply($failed->{metadata}, {}, 'metadata');
	is($failed->{duration_ms}, 40, 'duration_ms');
	like($failed->{timestamp}, $ISO, 'timestamp ISO-8601 with Z');

	($res, $j) = status($t, $alice, $id);
	is($res->{status}, 200, 'status: 200');
	is_deeply($j, { execution_id => $id, workflow => 'flow-a', status => 'completed',
		started_at => '2026-02-01T10:00:00Z', completed_at => '2026-02-01T10:00:01Z',
		final_output => { output => 'hi' }, error_message => undef }, 'status shape; an empty error is null');
	my $bad = insert_exec($t, $wa, $uid, status => 'failed', error => 'it broke');
	(undef, $j) = status($t, $alice, $bad);
	is($j->{error_message}, 'it broke', 'a failure message');

	my $none = '00000000-0000-4000-8000-000000000000';
	($res) = detail($t, $alice, $none);
	is_detail($t, $res, 404, 'Execution not found.', 'detail of nothing');
	($res) = status($t, $alice, $none);
	is_detail($t, $res, 404, 'Execution not found', 'status of nothing (no period, as Pipelit)');
	($res) = detail($t, $alice, 'x' x 300);
	is_detail($t, $res, 404, 'Execution not found.', 'an absurdly long id');
	($res) = detail($t, $alice, "%27%3B%20DROP%20TABLE%20workflow_executions%3B%20--");
	is($res->{status}, 404, 'a hostile id is a 404');
}

sub test_scoping {
	my ($t, $alice, $bob, $admin, $ctx) = @_;
	my $theirs = insert_exec($t, $ctx->{wbob}, $ctx->{bob_id}, status => 'running',
		started => '2026-03-01 10:00:00.000000');
	my $done = insert_exec($t, $ctx->{wbob}, $ctx->{bob_id}, status => 'completed',
		started => '2026-03-01 09:00:00.000000');
	my ($res, $j) = list($t, $alice, '?limit=1000');
	ok(!grep({ $_->{execution_id} eq $theirs } @{ $j->{items} }), "alice's list lacks bob's");
	(undef, $j) = list($t, $alice, '?workflow_slug=flow-bob');
	is($j->{total}, 0, "filtering by bob's workflow shows alice nothing");
	($res) = detail($t, $alice, $theirs);
	is_detail($t, $res, 404, 'Execution not found.', "alice reads bob's");
	($res) = status($t, $alice, $theirs);
	is_detail($t, $res, 404, 'Execution not found', "alice reads the status of bob's");
	($res) = cancel($t, $alice, $theirs);
	is_detail($t, $res, 404, 'Execution not found.', "alice cancels bob's");
	($res) = confirm($t, $alice, $theirs, { action => 'cancel' });
	is_detail($t, $res, 404, 'Execution not found.', "alice answers bob's confirmation");
	($res) = batch_delete($t, $alice, { execution_ids => [$done] });
	is($res->{status}, 204, "alice batch-deletes bob's: 204");
	is(count($t, "SELECT status FROM workflow_executions WHERE execution_id = '$theirs'"), 'running',
		"bob's still running");
	is(count($t, "SELECT count(*) FROM workflow_executions WHERE execution_id = '$done'"), '1', "bob's still there");

	($res, $j) = list($t, $admin, '?limit=1000');
	ok(scalar(grep { $_->{execution_id} eq $theirs } @{ $j->{items} }), 'the admin lists it');
	is($j->{total}, count($t, 'SELECT count(*) FROM workflow_executions'), 'the admin sees all');
	($res) = detail($t, $admin, $theirs);
	is($res->{status}, 200, 'the admin reads it');
	($res) = status($t, $admin, $theirs);
	is($res->{status}, 200, 'the admin reads its status');
	($res, $j) = cancel($t, $admin, $theirs);
	is($j->{status}, 'cancelled', 'the admin cancels it');
	($res) = batch_delete($t, $admin, { execution_ids => [$done] });
	is(count($t, "SELECT count(*) FROM workflow_executions WHERE execution_id = '$done'"), '0', 'the admin deletes it');
}

sub test_cancel {
	my ($t, $alice, $ctx) = @_;
	my ($wa, $uid) = @$ctx{qw(wa alice_id)};
	for my $state (qw(pending running interrupted)) {
		my $id = insert_exec($t, $wa, $uid, status => $state, event_seq => 3,
			started => $state eq 'pending' ? undef : '2026-04-01 10:00:00.000000');
		insert_job($t, $id, 'n1', $state eq 'interrupted' ? 'waiting' : 'queued');
		insert_job($t, $id, 'n2', 'leased');
		insert_task($t, $id, $uid, 'n1', substr(new_id(), -8), '2099-01-01 00:00:00.000000')
			if $state eq 'interrupted';
		my ($res, $j) = cancel($t, $alice, $id);
		is($res->{status}, 200, "cancel $state: 200") or next;
		is_deeply([sort keys %$j], [sort @OUT_KEYS], 'answered with ExecutionOut');
		is($j->{status}, 'cancelled', "$state -> cancelled");
		like($j->{completed_at} // '', $ISO, 'completed_at set');
		is(count($t, "SELECT count(*) FROM execution_jobs WHERE execution_id = '$id'"), '0', 'its jobs are gone');
		is(count($t, "SELECT count(*) FROM pending_tasks WHERE execution_id = '$id'"), '0', 'its tasks are gone');
		is(count($t, "SELECT event_seq FROM workflow_executions WHERE execution_id = '$id'"), '4',
			'one event more');
		my $completed_at = $j->{completed_at};
		($res, $j) = cancel($t, $alice, $id);
		is($res->{status}, 200, 'cancel again: 200, as Pipelit');
		is($j->{completed_at}, $completed_at, 'left as it was');
		is(count($t, "SELECT event_seq FROM workflow_executions WHERE execution_id = '$id'"), '4', 'and no event');
	}
	for my $state (qw(completed failed)) {
		my $id = insert_exec($t, $wa, $uid, status => $state, started => '2026-04-01 10:00:00.000000',
			completed => '2026-04-01 10:00:01.000000');
		my ($res, $j) = cancel($t, $alice, $id);
		is($res->{status}, 200, "cancel $state: 200");
		is($j->{status}, $state, "$state stays $state");
		is($j->{completed_at}, '2026-04-01T10:00:01Z', 'completed_at unchanged');
	}
	my ($res) = cancel($t, $alice, '00000000-0000-4000-8000-000000000000');
	is_detail($t, $res, 404, 'Execution not found.', 'cancel of nothing');
}

sub test_cancel_event {
	my ($t, $alice, $ctx) = @_;
	my $id = insert_exec($t, $ctx->{wa}, $ctx->{alice_id}, status => 'running', event_seq => 41,
		started => '2026-04-02 10:00:00.000000');
	my (undef, $tk) = ticket($t, $alice, "execution:$id");
	my ($st, $s) = subscribe($t, $tk->{url});
	is($st, 200, 'subscribed to the execution') or return;
	my (undef, $tw) = ticket($t, $alice, 'workflow:flow-a');
	my ($st2, $s2) = subscribe($t, $tw->{url});
	is($st2, 200, 'subscribed to its workflow') or return;
	cancel($t, $alice, $id);
	for my $sub ([$s, "execution:$id"], [$s2, 'workflow:flow-a']) {
		my $text = read_until($sub->[0], qr/^data: .*execution_cancelled.*\n/m, 10);
		my ($line) = $text =~ /^data: (.*execution_cancelled.*)$/m;
		ok(defined $line, "execution_cancelled on $sub->[1]") or diag($text), next;
		my $ev = eval { decode_json($line) } // {};
		is($ev->{execution_id}, $id, 'the execution id at the top level');
		is($ev->{seq}, 42, 'the sequence number one past the last');
		is_deeply($ev->{data}, { execution_id => $id }, 'data {execution_id}');
		# One request publishes to both channels with one body, so both
		# copies name the workflow's channel (doc/engine.md, "Events").
		is($ev->{channel}, 'workflow:flow-a', 'channel: the workflow channel');
	}
	close $s;
	close $s2;
}

sub test_confirm {
	my ($t, $alice, $ctx) = @_;
	my ($wa, $uid) = @$ctx{qw(wa alice_id)};
	my $later = '2099-01-01 00:00:00.000000';
	my $id = insert_exec($t, $wa, $uid, status => 'interrupted', started => '2026-05-01 10:00:00.000000');
	insert_job($t, $id, 'ask', 'waiting');
	insert_job($t, $id, 'other', 'waiting');
	insert_task($t, $id, $uid, 'ask', 'aaaa0001', $later);
	my (undef, $d) = detail($t, $alice, $id);
	is_deeply($d->{confirmation}, { node_id => 'ask', prompt => 'Go on?', expires_at => '2099-01-01T00:00:00Z' },
		'the detail shows the confirmation awaited: its node, question and expiry');
	my $before = time * 1000;
	my ($res, $j) = confirm($t, $alice, $id, { action => 'confirm' });
	is($res->{status}, 200, 'confirm: 200') or diag($res->{content});
	is($j->{status}, 'running', 'the execution runs again');
	is(count($t, "SELECT state || '|' || resume FROM execution_jobs WHERE execution_id = '$id' AND node_id = 'ask'"),
		'queued|{"action":"confirm"}', 'the waiting node is queued with the confirmation as its resume input');
	my $due = count($t, "SELECT due_ms FROM execution_jobs WHERE execution_id = '$id' AND node_id = 'ask'");
	ok($due >= $before - 5000, 'due now');
	is(count($t, "SELECT state FROM execution_jobs WHERE execution_id = '$id' AND node_id = 'other'"), 'waiting',
		"another node's wait is untouched");
	is(count($t, "SELECT count(*) FROM pending_tasks WHERE execution_id = '$id'"), '0', 'the task is gone');
	(undef, $d) = detail($t, $alice, $id);
	is($d->{confirmation}, undef, 'and the detail awaits none');
	($res) = confirm($t, $alice, $id, { action => 'confirm' });
	is_detail($t, $res, 409, 'Execution is not waiting for a confirmation.', 'confirm again');

	my $lost = insert_exec($t, $wa, $uid, status => 'interrupted');
	insert_task($t, $lost, $uid, 'ask', 'aaaa0002', $later);
	($res, $j) = confirm($t, $alice, $lost, { action => 'confirm' });
	is($j->{status}, 'running', 'confirm without a waiting job');
	is(count($t, "SELECT state || '|' || node_id FROM execution_jobs WHERE execution_id = '$lost'"), 'queued|ask',
		'the node is queued anew: never running with nothing to run');

	my $old = insert_exec($t, $wa, $uid, status => 'interrupted');
	insert_job($t, $old, 'ask', 'waiting');
	insert_task($t, $old, $uid, 'ask', 'aaaa0003', '2026-01-01 00:00:00.000000');
	($res) = confirm($t, $alice, $old, { action => 'confirm' });
	is_detail($t, $res, 410, 'This confirmation has expired.', 'an expired confirmation');
	is(count($t, "SELECT count(*) FROM pending_tasks WHERE execution_id = '$old'"), '0', 'the expired task is gone');
	is(count($t, "SELECT status FROM workflow_executions WHERE execution_id = '$old'"), 'interrupted',
		'the execution still waits');
	($res, $j) = confirm($t, $alice, $old, { action => 'cancel' });
	is($res->{status}, 200, 'and can be cancelled');
	is($j->{status}, 'cancelled', 'cancelled');
	is(count($t, "SELECT count(*) FROM execution_jobs WHERE execution_id = '$old'"), '0', 'its jobs are gone');

	my $no = insert_exec($t, $wa, $uid, status => 'interrupted');
	insert_task($t, $no, $uid, 'ask', 'aaaa0004', $later);
	($res, $j) = confirm($t, $alice, $no, { action => 'cancel' });
	is($j->{status}, 'cancelled', 'cancel an interrupted one');
	is(count($t, "SELECT count(*) FROM pending_tasks WHERE execution_id = '$no'"), '0', 'its task is gone');
	($res) = confirm($t, $alice, $no, { action => 'cancel' });
	is_detail($t, $res, 409, 'Execution is not waiting for a confirmation.', 'cancel of a cancelled one');

	my $running = insert_exec($t, $wa, $uid, status => 'running');
	($res) = confirm($t, $alice, $running, { action => 'confirm' });
	is_detail($t, $res, 409, 'Execution is not waiting for a confirmation.', 'confirm of a running one');
	($res) = confirm($t, $alice, '00000000-0000-4000-8000-000000000000', { action => 'confirm' });
	is_detail($t, $res, 404, 'Execution not found.', 'confirm of nothing');
	for my $bad ([ 'no action', {} ], [ 'unknown action', { action => 'maybe' } ],
		[ 'action a number', { action => 1 } ], [ 'body a list', ['confirm'] ], [ 'action null', { action => undef } ]) {
		($res) = confirm($t, $alice, $running, $bad->[1]);
		is_validation($t, $res, "confirm: $bad->[0]");
	}
	$res = $t->request('POST', "/api/v1/executions/$running/confirm/", { headers => bearer($alice) });
	is_validation($t, $res, 'confirm: no body');
	is(count($t, "SELECT status FROM workflow_executions WHERE execution_id = '$running'"), 'running',
		'nothing changed by the refusals');
}

sub test_batch_delete {
	my ($t, $alice, $ctx) = @_;
	my ($wa, $uid) = @$ctx{qw(wa alice_id)};
	my %e = map { $_ => insert_exec($t, $wa, $uid, status => $_) } qw(completed failed cancelled running pending
		interrupted);
	insert_log($t, $e{completed}, 'n', '2026-01-01 00:00:00.000000');
	my ($res) = batch_delete($t, $alice, { execution_ids => [values %e, 'no-such-id', 'z' x 300] });
	is($res->{status}, 204, 'batch delete: 204');
	is($res->{content} // '', '', 'no body');
	for my $s (sort keys %e) {
		my $want = ($s =~ /^(completed|failed|cancelled)$/) ? '0' : '1';
		is(count($t, "SELECT count(*) FROM workflow_executions WHERE execution_id = '$e{$s}'"), $want,
			$want ? "$s kept (in flight)" : "$s deleted");
	}
	is(count($t, "SELECT count(*) FROM execution_logs WHERE execution_id = '$e{completed}'"), '0', 'with its logs');
	($res) = batch_delete($t, $alice, { execution_ids => [] });
	is($res->{status}, 204, 'nothing to delete: 204');
	for my $bad ([ 'missing', {} ], [ 'not a list', { execution_ids => 'x' } ],
		[ 'not strings', { execution_ids => [1] } ], [ 'body a list', [] ]) {
		($res) = batch_delete($t, $alice, $bad->[1]);
		is_validation($t, $res, "batch delete: $bad->[0]");
	}
	is(count($t, "SELECT count(*) FROM workflow_executions WHERE execution_id = '$e{running}'"), '1',
		'nothing deleted by the refusals');
}

# Deleting a workflow cancels its executions in flight before its rows go:
# their subscribers hear execution_cancelled.
sub test_workflow_delete {
	my ($t, $alice, $ctx) = @_;
	my $uid = $ctx->{alice_id};
	my $wf = make_workflow($t, $alice, 'doomed') or return;
	my $run = insert_exec($t, $wf, $uid, status => 'running', event_seq => 9);
	insert_job($t, $run, 'n1', 'leased');
	my $done = insert_exec($t, $wf, $uid, status => 'completed');
	my (undef, $tk) = ticket($t, $alice, "execution:$run");
	my ($st, $s) = subscribe($t, $tk->{url});
	is($st, 200, 'subscribed to the running execution') or return;
	my (undef, $tk2) = ticket($t, $alice, "execution:$done");
	my ($st2, $s2) = subscribe($t, $tk2->{url});
	my $res = $t->request('DELETE', '/api/v1/workflows/doomed/', { headers => bearer($alice) });
	is($res->{status}, 204, 'the workflow is deleted');
	my $text = read_until($s, qr/^data: .*\n/m, 10);
	my ($line) = $text =~ /^data: (.*)$/m;
	my $ev = eval { decode_json($line // '') } // {};
	is($ev->{type}, 'execution_cancelled', 'its execution in flight was cancelled') or diag($text);
	is($ev->{seq}, 10, 'with the next sequence number');
	is(count($t, "SELECT count(*) FROM workflow_executions WHERE workflow_id = $wf"), '0', 'its executions are gone');
	is(count($t, "SELECT count(*) FROM execution_jobs WHERE execution_id = '$run'"), '0', 'with their jobs');
	my $quiet = $s2 ? read_until($s2, qr/execution_cancelled/, 1) : '';
	unlike($quiet, qr/execution_cancelled/, 'a finished execution hears nothing');
	close $s;
	close $s2 if $s2;

	my $wf2 = make_workflow($t, $alice, 'doomed-too') or return;
	my $run2 = insert_exec($t, $wf2, $uid, status => 'interrupted');
	insert_task($t, $run2, $uid, 'n', 'bbbb0001', '2099-01-01 00:00:00.000000');
	$res = $t->request('POST', '/api/v1/workflows/batch-delete/', { headers => bearer($alice),
		content => { slugs => ['doomed-too'] } });
	is($res->{status}, 204, 'a batch delete of workflows');
	is(count($t, "SELECT count(*) FROM workflow_executions WHERE execution_id = '$run2'"), '0',
		'its interrupted execution is gone');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	# No executor: the rows written here stand for an engine's and must
	# stay as written (t/e2e/70-engine.t runs executions for real).
	my $t = PipelitTest->started(db_url => $db_url, executors => 0) or return;
	my $admin = make_user($t, 'root', 'root-pass-1', 'admin') or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	my $bob = make_user($t, 'bob', 'bob-pass-1', 'normal') or return;
	my %ctx = (
		alice_id => $t->db_query("SELECT id FROM user_profiles WHERE username = 'alice'"),
		bob_id => $t->db_query("SELECT id FROM user_profiles WHERE username = 'bob'"),
		wa => make_workflow($t, $alice, 'flow-a'),
		wb => make_workflow($t, $alice, 'flow-b'),
		wbob => make_workflow($t, $bob, 'flow-bob'),
	);
	subtest list => sub { test_list($t, $alice, \%ctx) };
	subtest detail_and_status => sub { test_detail_and_status($t, $alice, \%ctx) };
	subtest scoping => sub { test_scoping($t, $alice, $bob, $admin, \%ctx) };
	subtest cancel => sub { test_cancel($t, $alice, \%ctx) };
	subtest cancel_event => sub { test_cancel_event($t, $alice, \%ctx) };
	subtest confirm => sub { test_confirm($t, $alice, \%ctx) };
	subtest batch_delete => sub { test_batch_delete($t, $alice, \%ctx) };
	subtest workflow_delete => sub { test_workflow_delete($t, $alice, \%ctx) };
});

done_testing();
