# Schedules (doc/schedules.md), on both backends: the REST API and the
# trigger_schedule node's start/pause/stop with their errors and scoping;
# interval runs counted (a schedule of total_repeats N runs exactly N
# times); back-off to `dead` for a workflow that cannot start; overlap
# skipping; node_updated events; a deleted user's schedules stop; the
# missed-run policies across a stopped pool; exactly one run per due time
# with several executors (and, on PostgreSQL, two pools on one database).
# Counts are asserted, never timings: waits are generous upper bounds.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use Time::HiRes qw(sleep time);
use PipelitTest;
use PipelitAuth;
use PipelitEngine;
use PipelitEvents;

need_nginx();

sub count_runs {
	my ($t, $schedule_id) = @_;
	return $t->db_query("SELECT count(*) FROM workflow_executions WHERE CAST(trigger_payload AS TEXT) LIKE "
		. "'%\"scheduled_job_id\":\"$schedule_id\"%'") // -1;
}

sub get_schedule {
	my ($t, $tok, $id) = @_;
	my ($res, $j) = api($t, $tok, 'GET', "schedules/$id/");
	return $res->{status} == 200 ? $j : {};
}

sub make_runnable {
	my ($t, $tok, $slug, $trigger_extra) = @_;
	return build_workflow($t, $tok, $slug, [
		{ node_id => 'tick', component_type => 'trigger_schedule',
		  config => { extra_config => $trigger_extra // {} } },
		{ node_id => 'r', component_type => 'reply_chat', config => { extra_config => { message => 'ran' } } }],
		[['tick', 'r']]);
}

sub workflow_id {
	my ($t, $tok, $slug) = @_;
	my (undef, $j) = api($t, $tok, 'GET', "workflows/$slug/");
	return $j->{id};
}

sub test_rest_api {
	my ($t, $alice, $bob, $admin) = @_;
	make_runnable($t, $alice, 'rest-wf') or return;
	my $wid = workflow_id($t, $alice, 'rest-wf');
	my ($res, $j) = api($t, $alice, 'POST', 'schedules/', { name => 'x', workflow_id => $wid, interval_seconds => 0 });
	is($res->{status}, 422, 'interval_seconds 0: 422');
	is($j->{detail}[0]{msg}, 'Value error, interval_seconds must be >= 1', 'with Pipelit\'s message');
	($res, $j) = api($t, $alice, 'POST', 'schedules/', { name => 'x', workflow_id => $wid });
	is($res->{status}, 422, 'neither interval nor cron: 422');
	($res, $j) = api($t, $alice, 'POST', 'schedules/', { name => 'x', workflow_id => $wid, interval_seconds => 60,
		missed_runs => 'sometimes' });
	is($res->{status}, 422, 'unknown missed_runs: 422');
	($res, $j) = api($t, $bob, 'POST', 'schedules/', { name => 'x', workflow_id => $wid, interval_seconds => 60 });
	is_detail($t, $res, 404, 'Workflow not found.', 'a schedule on another user\'s workflow');

	($res, $j) = api($t, $alice, 'POST', 'schedules/', { name => 'hourly', workflow_id => $wid,
		trigger_node_id => 'tick', interval_seconds => 3600, trigger_payload => { k => 1 } });
	is($res->{status}, 201, 'created') or return diag($res->{content});
	my $id = $j->{id};
	is($j->{status}, 'active', 'active');
	is($j->{interval_seconds}, 3600, 'interval_seconds');
	is($j->{cron}, undef, 'no cron');
	is($j->{missed_runs}, 'skip', 'missed_runs defaults to skip (Pipelit\'s)');
	is_deeply($j->{trigger_payload}, { k => 1 }, 'trigger_payload');
	ok(defined $j->{next_run_at}, 'next_run_at set');
	is($j->{run_count}, 0, 'not run yet');
	for my $k (qw(id name description workflow_id trigger_node_id user_profile_id interval_seconds total_repeats
		max_retries timeout_seconds trigger_payload status current_repeat current_retry last_run_at next_run_at
		run_count error_count last_error created_at updated_at)) {
		ok(exists $j->{$k}, "ScheduledJobOut has $k");
	}

	($res) = api($t, $bob, 'GET', "schedules/$id/");
	is_detail($t, $res, 404, 'Scheduled job not found.', 'another user\'s schedule');
	($res) = api($t, $bob, 'POST', "schedules/$id/pause/");
	is($res->{status}, 404, 'nor can they pause it');
	($res) = api($t, $bob, 'DELETE', "schedules/$id/");
	is($res->{status}, 404, 'nor delete it');
	($res, $j) = api($t, $admin, 'GET', "schedules/$id/");
	is($res->{status}, 200, 'an admin sees it');
	(undef, $j) = api($t, $bob, 'GET', 'schedules/');
	is($j->{total}, 0, 'bob lists none');
	(undef, $j) = api($t, $alice, 'GET', "schedules/?workflow_id=$wid&status=active");
	is($j->{total}, 1, 'alice lists hers, filtered');
	(undef, $j) = api($t, $alice, 'GET', 'schedules/?status=paused');
	is($j->{total}, 0, 'none paused');

	($res, $j) = api($t, $alice, 'POST', "schedules/$id/resume/");
	is_detail($t, $res, 400, "Cannot resume job with status 'active'.", 'resume of an active one');
	($res, $j) = api($t, $alice, 'POST', "schedules/$id/pause/");
	is($j->{status}, 'paused', 'paused');
	is($j->{next_run_at}, undef, 'no next run while paused');
	($res, $j) = api($t, $alice, 'POST', "schedules/$id/pause/");
	is_detail($t, $res, 400, "Cannot pause job with status 'paused'.", 'pause of a paused one');
	($res, $j) = api($t, $alice, 'POST', "schedules/$id/resume/");
	is($j->{status}, 'active', 'resumed');
	ok(defined $j->{next_run_at}, 'due again');

	($res, $j) = api($t, $alice, 'PATCH', "schedules/$id/", { name => 'renamed', max_retries => -1 });
	is($res->{status}, 422, 'PATCH range check');
	($res, $j) = api($t, $alice, 'PATCH', "schedules/$id/", { name => 'renamed', interval_seconds => 7200 });
	is($res->{status}, 200, 'PATCH');
	is($j->{name}, 'renamed', 'name applied');
	is($j->{interval_seconds}, 7200, 'interval applied');
	is($j->{max_retries}, 3, 'what was not sent is kept');

	($res, $j) = api($t, $alice, 'GET', "schedules/$id/next-runs/?count=3");
	is($res->{status}, 200, 'next-runs');
	is(scalar @{ $j->{next_runs} // [] }, 3, 'three of them');
	like($j->{next_runs}[0] // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/, 'ISO 8601 with an offset');
	($res) = api($t, $alice, 'GET', "schedules/$id/next-runs/?count=100000");
	is($res->{status}, 422, 'count is bounded');

	($res) = api($t, $alice, 'POST', 'schedules/batch-delete/', { schedule_ids => [$id] });
	is($res->{status}, 204, 'batch-delete');
	($res) = api($t, $alice, 'GET', "schedules/$id/");
	is($res->{status}, 404, 'gone');
}

# total_repeats N runs exactly N times, then `done`.
sub test_interval_runs {
	my ($t, $alice) = @_;
	make_runnable($t, $alice, 'count-wf') or return;
	my $wid = workflow_id($t, $alice, 'count-wf');
	my (undef, $j) = api($t, $alice, 'POST', 'schedules/', { name => 'three', workflow_id => $wid,
		trigger_node_id => 'tick', interval_seconds => 1, total_repeats => 3 });
	my $id = $j->{id} or return fail('created');
	ok(PipelitTest::wait_until(30, sub { get_schedule($t, $alice, $id)->{status} eq 'done' }), 'done after its repeats')
		or diag(explain(get_schedule($t, $alice, $id)));
	$j = get_schedule($t, $alice, $id);
	is($j->{run_count}, 3, 'run_count 3');
	is($j->{current_repeat}, 3, 'current_repeat 3');
	is($j->{next_run_at}, undef, 'no next run');
	is(count_runs($t, $id), 3, 'exactly three executions');
	ok(PipelitTest::wait_until(20, sub { $t->db_query("SELECT count(*) FROM workflow_executions WHERE status = 'completed' "
		. "AND CAST(trigger_payload AS TEXT) LIKE '%$id%'") == 3 }), 'all three completed');
	my $payload = decode_json($t->db_query("SELECT trigger_payload FROM workflow_executions WHERE CAST(trigger_payload AS TEXT) LIKE "
		. "'%$id%' ORDER BY started_at LIMIT 1") // '{}');
	is($payload->{scheduled_job_name}, 'three', 'payload names the schedule');
	is($payload->{repeat_number}, 1, 'and the repeat');
	like($payload->{timestamp} // '', qr/\+00:00$/, 'timestamp with a UTC offset');
}

# A workflow that cannot start: errors, back-off, then dead.
sub test_backoff_dead {
	my ($t, $alice) = @_;
	make_runnable($t, $alice, 'dead-wf') or return;
	my $wid = workflow_id($t, $alice, 'dead-wf');
	my ($res) = api($t, $alice, 'PATCH', 'workflows/dead-wf/', { is_active => JSON::PP::false });
	is($res->{status}, 200, 'workflow made inactive');
	my (undef, $j) = api($t, $alice, 'POST', 'schedules/', { name => 'doomed', workflow_id => $wid,
		trigger_node_id => 'tick', interval_seconds => 1, max_retries => 2 });
	my $id = $j->{id} or return fail('created');
	my $seen_retry = 0;
	ok(PipelitTest::wait_until(40, sub {
		my $s = get_schedule($t, $alice, $id);
		$seen_retry ||= ($s->{current_retry} // 0) > 0 && $s->{status} eq 'active';
		$s->{status} eq 'dead' }), 'dead after max_retries + 1 failed dispatches');
	$j = get_schedule($t, $alice, $id);
	ok($seen_retry, 'it was retried (active with current_retry > 0) before dying');
	is($j->{error_count}, 3, 'error_count 3 (one run and two retries)');
	is($j->{run_count}, 0, 'no run counted');
	is($j->{last_error}, 'the workflow is not active', 'last_error says why');
	is($j->{next_run_at}, undef, 'nothing due');
	is(count_runs($t, $id), 0, 'no execution');
	($res, $j) = api($t, $alice, 'POST', "schedules/$id/pause/");
	is_detail($t, $res, 400, "Cannot pause job with status 'dead'.", 'a dead one cannot be paused');

	# The back-off doubles and stops at 10 intervals: a schedule on its
	# sixth retry (set in the database rather than waited for) that fails
	# again is due 10 intervals later, not 2^6.
	(undef, $j) = api($t, $alice, 'POST', 'schedules/', { name => 'backoff', workflow_id => $wid,
		trigger_node_id => 'tick', interval_seconds => 2, max_retries => 20 });
	my $b = $j->{id} or return fail('created');
	# The retry count and its delay are read in one query: on a busy
	# machine the next retry may come between two reads.
	my $backoff = sub {
		my ($retry, $delay) = split ' ', $t->db_query("SELECT current_retry || ' ' || "
			. "(next_run_ms - last_run_ms) FROM scheduled_jobs WHERE id = '$b'") // '';
		return ($retry // 0, $delay // -1);
	};
	ok(PipelitTest::wait_until(20, sub { ($backoff->())[0] >= 1 }), 'a first failure');
	my ($retry, $delay) = $backoff->();
	is($delay, 2000 * 2**($retry - 1), "retry $retry: 2^(retry - 1) intervals later");
	ok(PipelitTest::wait_until(20, sub { ($backoff->())[0] > $retry }), 'a later failure');
	($retry, $delay) = $backoff->();
	is($delay, 2000 * 2**($retry - 1), "retry $retry: the delay doubled");
	api($t, $alice, 'POST', "schedules/$b/pause/");
	my $now = int(time * 1000);
	$t->db_query("UPDATE scheduled_jobs SET status = 'active', current_retry = 6, next_run_ms = $now WHERE id = '$b'");
	api($t, $alice, 'PATCH', "schedules/$b/", { description => 'wake up' });   # wakes the executors
	ok(PipelitTest::wait_until(20, sub { get_schedule($t, $alice, $b)->{current_retry} >= 7 }), 'a seventh failure');
	is($t->db_query("SELECT next_run_ms - last_run_ms FROM scheduled_jobs WHERE id = '$b'"), 20000,
		'capped at 10 intervals (not 2^6)');
	api($t, $alice, 'DELETE', "schedules/$b/");
}

sub test_node_routes {
	my ($t, $alice, $bob) = @_;
	make_runnable($t, $alice, 'node-wf', { interval_seconds => 1 }) or return;
	api($t, $alice, 'POST', 'workflows/node-wf/nodes/', { node_id => 'other', component_type => 'trigger_manual' });
	my ($res, $j) = api($t, $alice, 'POST', 'workflows/node-wf/nodes/other/schedule/start/');
	is_detail($t, $res, 400, 'Node is not a trigger_schedule.', 'start on another kind');
	($res) = api($t, $alice, 'POST', 'workflows/node-wf/nodes/nope/schedule/start/');
	is_detail($t, $res, 404, 'Node not found.', 'start on a missing node');
	($res) = api($t, $bob, 'POST', 'workflows/node-wf/nodes/tick/schedule/start/');
	is_detail($t, $res, 404, 'Workflow not found.', 'another user\'s workflow');
	($res) = api($t, $alice, 'POST', 'workflows/node-wf/nodes/tick/schedule/pause/');
	is_detail($t, $res, 404, 'No scheduled job found for this node.', 'pause before start');
	($res) = api($t, $alice, 'POST', 'workflows/node-wf/nodes/tick/schedule/stop/');
	is_detail($t, $res, 404, 'No scheduled job found for this node.', 'stop before start');

	my (undef, $tk) = ticket($t, $alice, 'workflow:node-wf');
	my ($status, $s) = subscribe($t, $tk->{url});
	is($status, 200, 'subscribed to workflow:node-wf');

	($res, $j) = api($t, $alice, 'POST', 'workflows/node-wf/nodes/tick/schedule/start/');
	is($res->{status}, 200, 'start') or return diag($res->{content});
	is($j->{node_id}, 'tick', 'answers the node');
	is($j->{schedule_job}{status}, 'active', 'with its schedule_job, active');
	is($j->{schedule_job}{interval_seconds}, 1, 'from extra_config');
	ok($j->{config}{is_active}, 'trigger active');
	my $id = $j->{schedule_job}{id};
	my $text = read_until($s, qr/"node_updated"/, 3);
	like($text, qr/"node_updated".*"schedule_job":\{[^}]*"status":"active"/, 'node_updated with the schedule state');
	(undef, $j) = api($t, $alice, 'GET', "schedules/$id/");
	is($j->{name}, 'schedule:tick', 'named schedule:<node_id>');
	my $due_before = $t->db_query("SELECT next_run_ms FROM scheduled_jobs WHERE id = '$id'");
	my $run_before = $t->db_query("SELECT run_count FROM scheduled_jobs WHERE id = '$id'");
	($res, $j) = api($t, $alice, 'POST', 'workflows/node-wf/nodes/tick/schedule/start/');
	my $due_after = $t->db_query("SELECT next_run_ms FROM scheduled_jobs WHERE id = '$id'");
	my $run_after = $t->db_query("SELECT run_count FROM scheduled_jobs WHERE id = '$id'");
	ok($run_before != $run_after || $due_before eq $due_after,
		'start on an active schedule with the same timing keeps its due time');
	ok(PipelitTest::wait_until(20, sub { count_runs($t, $id) >= 2 }), 'it runs');
	$text = read_until($s, qr/"run_count":[1-9]/, 5);
	like($text, qr/"node_updated".*"run_count":[1-9]/, 'a run publishes node_updated with the counters');

	($res, $j) = api($t, $alice, 'POST', 'workflows/node-wf/nodes/tick/schedule/pause/');
	is($j->{schedule_job}{status}, 'paused', 'paused through the node');
	ok(!$j->{config}{is_active}, 'trigger inactive');
	$text = read_until($s, qr/"status":"paused"/, 3);
	like($text, qr/"status":"paused"/, 'node_updated says paused');
	my $n = count_runs($t, $id);
	sleep 2.5;
	is(count_runs($t, $id), $n, 'no run while paused');
	($res, $j) = api($t, $alice, 'POST', 'workflows/node-wf/nodes/tick/schedule/pause/');
	is_detail($t, $res, 400, "Cannot pause job with status 'paused'.", 'pause twice');
	(undef, $j) = api($t, $alice, 'GET', 'workflows/node-wf/');
	my ($tick) = grep { $_->{node_id} eq 'tick' } @{ $j->{nodes} // [] };
	is($tick->{schedule_job}{status}, 'paused', 'the workflow detail shows it paused');

	($res, $j) = api($t, $alice, 'PATCH', 'workflows/node-wf/nodes/tick/',
		{ config => { extra_config => { interval_seconds => 0 } } });
	($res, $j) = api($t, $alice, 'POST', 'workflows/node-wf/nodes/tick/schedule/start/');
	is($res->{status}, 422, 'interval_seconds 0 in extra_config: 422');
	is($j->{detail}, 'interval_seconds must be >= 1', 'a plain string detail');
	api($t, $alice, 'PATCH', 'workflows/node-wf/nodes/tick/', { config => { extra_config => { interval_seconds => 1 } } });
	($res, $j) = api($t, $alice, 'POST', 'workflows/node-wf/nodes/tick/schedule/start/');
	is($j->{schedule_job}{status}, 'active', 'start resumes a paused one');
	is($j->{schedule_job}{id}, $id, 'the same schedule');
	ok(PipelitTest::wait_until(20, sub { count_runs($t, $id) > $n }), 'and it runs again');

	($res, $j) = api($t, $alice, 'POST', 'workflows/node-wf/nodes/tick/schedule/stop/');
	is($res->{status}, 200, 'stop');
	is($j->{schedule_job}, undef, 'schedule_job null');
	ok(!$j->{config}{is_active}, 'trigger inactive');
	($res) = api($t, $alice, 'GET', "schedules/$id/");
	is($res->{status}, 404, 'stop deleted the schedule');
	$n = count_runs($t, $id);
	sleep 2;
	is(count_runs($t, $id), $n, 'no run after stop');
	close $s;
}

# A deleted user's schedules stop (their rows go).
sub test_deleted_user {
	my ($t, $admin) = @_;
	my $carol = make_user($t, 'carol', 'carol-pass-1', 'normal') or return;
	make_runnable($t, $carol, 'carol-wf') or return;
	my (undef, $j) = api($t, $carol, 'POST', 'schedules/', { name => 'c', workflow_id => workflow_id($t, $carol, 'carol-wf'),
		trigger_node_id => 'tick', interval_seconds => 1 });
	my $id = $j->{id} or return fail('created');
	ok(PipelitTest::wait_until(20, sub { count_runs($t, $id) >= 1 }), 'carol\'s schedule runs');
	my (undef, $me) = api($t, $carol, 'GET', 'users/me');
	my ($res) = api($t, $admin, 'DELETE', "users/$me->{id}");
	ok($res->{status} == 204 || $res->{status} == 200, 'carol deleted') or diag($res->{content});
	($res) = api($t, $admin, 'GET', "schedules/$id/");
	is($res->{status}, 404, 'her schedule is gone');
	my $n = count_runs($t, $id);
	sleep 2;
	is(count_runs($t, $id), $n, 'and runs no more');
}

# The missed-run policies: the pool is stopped, the schedules' due times
# are moved 5.5 hours into the past (six hourly due times missed), the pool
# starts again.
sub test_missed_runs {
	my ($t, $alice) = @_;
	make_runnable($t, $alice, 'missed-wf') or return;
	my $wid = workflow_id($t, $alice, 'missed-wf');
	my %ids;
	for my $p (['skip', {}], ['run_once', {}], ['catch_up', { catch_up_limit => 3 }], ['catch_up_all', { catch_up_limit => 100 }]) {
		my ($name, $extra) = @$p;
		(my $policy = $name) =~ s/_all$//;
		my ($res, $j) = api($t, $alice, 'POST', 'schedules/', { name => $name, workflow_id => $wid,
			trigger_node_id => 'tick', interval_seconds => 3600, missed_runs => $policy, %$extra });
		is($res->{status}, 201, "$name created") or return diag($res->{content});
		$ids{$name} = $j->{id};
	}
	$t->stop;
	my $now_ms = int(time * 1000);
	my $due = $now_ms - 5.5 * 3600 * 1000;
	$t->db_query("UPDATE scheduled_jobs SET next_run_ms = $due WHERE workflow_id = $wid");
	ok($t->start, 'the pool starts again') or return diag($t->log_tail);
	ok(PipelitTest::wait_until(30, sub { count_runs($t, $ids{catch_up_all}) >= 6 && count_runs($t, $ids{run_once}) >= 1 }),
		'the replays happened');
	sleep 1.5;
	is(count_runs($t, $ids{skip}), 0, 'skip: nothing replayed');
	is(count_runs($t, $ids{run_once}), 1, 'run_once: one run');
	is(count_runs($t, $ids{catch_up}), 3, 'catch_up with catch_up_limit 3: three runs');
	is(count_runs($t, $ids{catch_up_all}), 6, 'catch_up: each of the six missed due times');
	for my $name (keys %ids) {
		my $j = get_schedule($t, $alice, $ids{$name});
		my $next = $t->db_query("SELECT next_run_ms FROM scheduled_jobs WHERE id = '$ids{$name}'") // 0;
		ok($next > $now_ms, "$name: next due time in the future");
		is($j->{status}, 'active', "$name: still active");
	}
	my $skip_next = $t->db_query("SELECT next_run_ms FROM scheduled_jobs WHERE id = '$ids{skip}'") // 0;
	ok($skip_next >= $now_ms + 3000 * 1000, 'skip: next run an interval after start-up (Pipelit\'s)');
}

# Exactly once: $n one-shot schedules due within a few seconds, on every
# executor of every pool given.
sub test_exactly_once {
	my ($t, $alice, $n, $label) = @_;
	make_runnable($t, $alice, "once-$label") or return;
	my $wid = workflow_id($t, $alice, "once-$label");
	my @ids;
	for my $i (1 .. $n) {
		my (undef, $j) = api($t, $alice, 'POST', 'schedules/', { name => "o$i", workflow_id => $wid,
			trigger_node_id => 'tick', interval_seconds => 1 + $i % 3, total_repeats => 1 });
		push @ids, $j->{id} if $j->{id};
	}
	is(scalar @ids, $n, "$n one-shot schedules created");
	my $done = sub { $t->db_query("SELECT count(*) FROM scheduled_jobs WHERE workflow_id = $wid AND status = 'done'") // 0 };
	ok(PipelitTest::wait_until(120, sub { $done->() == $n }), "all $n ran") or diag('done: ' . $done->());
	is($t->db_query("SELECT count(*) FROM workflow_executions WHERE workflow_id = $wid"), $n,
		"$label: exactly $n executions");
	is($t->db_query("SELECT count(*) FROM schedule_runs r JOIN scheduled_jobs s ON s.id = r.schedule_id "
		. "WHERE s.workflow_id = $wid AND r.execution_id IS NOT NULL"), $n, 'one claimed due time each');
}

# Cron: validation and preview now; the every-minute schedule made here
# is checked at the end (it is due within a minute; the other subtests
# take longer than that).
sub start_cron {
	my ($t, $alice) = @_;
	make_runnable($t, $alice, 'cron-wf') or return;
	my $wid = workflow_id($t, $alice, 'cron-wf');
	my ($res, $j) = api($t, $alice, 'POST', 'schedules/', { name => 'c', workflow_id => $wid, cron => '61 * * * *' });
	is($res->{status}, 422, 'a bad cron expression: 422');
	like($j->{detail}[0]{msg} // '', qr/invalid cron expression: minute/, 'the detail says what is wrong');
	is_deeply($j->{detail}[0]{loc}, ['body', 'cron'], 'at cron');
	($res, $j) = api($t, $alice, 'POST', 'schedules/', { name => 'c', workflow_id => $wid, cron => '0 9 * * *',
		timezone => 'Mars/Olympus_Mons' });
	is($res->{status}, 422, 'an unknown time zone: 422');
	like($j->{detail}[0]{msg} // '', qr/unknown time zone/, 'the detail says so');
	is_deeply($j->{detail}[0]{loc}, ['body', 'timezone'], 'at timezone');
	($res, $j) = api($t, $alice, 'POST', 'schedules/', { name => 'c', workflow_id => $wid, cron => '0 9 * * *',
		timezone => '../../etc/passwd' });
	is($res->{status}, 422, 'a zone name that is a path: 422');
	($res, $j) = api($t, $alice, 'POST', 'schedules/', { name => 'c', workflow_id => $wid, cron => '0 9 * * *',
		interval_seconds => 60 });
	is($res->{status}, 422, 'both cron and interval_seconds: 422');

	($res, $j) = api($t, $alice, 'POST', 'schedules/preview/', { cron => '30 2 * * *', timezone => 'Europe/Berlin', count => 4 });
	is($res->{status}, 200, 'preview') or diag($res->{content});
	is(scalar @{ $j->{next_runs} // [] }, 4, 'count times');
	like($j->{next_runs}[0] // '', qr/T02:30:00\+0[12]:00$/, 'Berlin wall clock with its offset');
	($res, $j) = api($t, $alice, 'POST', 'schedules/preview/', { cron => 'every day' });
	is($res->{status}, 422, 'preview of a bad expression: 422');
	($res, $j) = api($t, $alice, 'POST', 'schedules/preview/', { cron => '* * * * *', count => 1001 });
	is($res->{status}, 422, 'preview count is bounded');

	($res, $j) = api($t, $alice, 'POST', 'schedules/', { name => 'every-minute', workflow_id => $wid,
		trigger_node_id => 'tick', cron => '* * * * *', timezone => 'America/New_York', total_repeats => 1,
		missed_runs => 'run_once' });
	is($res->{status}, 201, 'a cron schedule') or return diag($res->{content});
	is($j->{interval_seconds}, undef, 'interval_seconds null');
	is($j->{cron}, '* * * * *', 'cron');
	is($j->{timezone}, 'America/New_York', 'timezone');
	like($j->{next_run_at} // '', qr/:00Z$/, 'due on a whole minute');
	(undef, my $n) = api($t, $alice, 'GET', "schedules/$j->{id}/next-runs/?count=3");
	like($n->{next_runs}[0] // '', qr/:00-0[45]:00$/, 'next-runs in New York time');
	return $j->{id};
}

sub finish_cron {
	my ($t, $alice, $id) = @_;
	return fail('no cron schedule') unless $id;
	ok(PipelitTest::wait_until(75, sub { get_schedule($t, $alice, $id)->{status} eq 'done' }), 'the cron schedule ran');
	is(count_runs($t, $id), 1, 'once');
	my $due = $t->db_query("SELECT due_ms FROM schedule_runs WHERE schedule_id = '$id'") // 1;
	is($due % 60000, 0, 'for a due time on a whole minute');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url, executors => 3) or return;
	my $admin = make_user($t, 'root', 'root-pass-1', 'admin') or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	my $bob = make_user($t, 'bob', 'bob-pass-1', 'normal') or return;
	my $cron_id;
	subtest 'cron: validation, preview, a schedule' => sub { $cron_id = start_cron($t, $alice) };
	subtest 'REST API, scoping, state machine' => sub { test_rest_api($t, $alice, $bob, $admin) };
	subtest 'interval runs counted' => sub { test_interval_runs($t, $alice) };
	subtest 'back-off and dead' => sub { test_backoff_dead($t, $alice) };
	subtest 'node routes and events' => sub { test_node_routes($t, $alice, $bob) };
	subtest 'a deleted user\'s schedules stop' => sub { test_deleted_user($t, $admin) };
	subtest 'missed runs across a stopped pool' => sub { test_missed_runs($t, $alice) };
	subtest 'exactly once with three executors' => sub { test_exactly_once($t, $alice, 100, 'one-pool') };
	subtest 'cron: the schedule ran at its due time' => sub { finish_cron($t, $alice, $cron_id) };
	if ($backend eq 'postgresql') {
		my $b = PipelitTest->started(db_url => $db_url, executors => 2, name => 'a second pool on the database') or return;
		subtest 'exactly once with two pools on one database' => sub { test_exactly_once($t, $alice, 100, 'two-pools') };
		my $pool_a = $t->db_query("SELECT count(*) FROM workflow_executions") // 0;
		note("executions: $pool_a");
	}
});

done_testing();
