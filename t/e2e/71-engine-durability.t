# Durability: an execution survives the death of the processes running it.
#  - an executor SIGKILLed while a node runs: the node's lease expires
#    (ZOMBIE_EXECUTION_THRESHOLD_SECONDS), the respawned executor runs it
#    again as its second attempt, and the execution completes;
#  - an executor SIGKILLed while a wait node's successor waits for its
#    due time: the successor runs when due;
#  - the whole pool SIGKILLed (master and children at once) with a node in
#    flight, then started again: the execution completes;
#  - an executor that outlives its lease (a node that keeps it from
#    renewing): another executor takes the job over as attempt 2, and the
#    first one's result, when it finally comes, is dropped.  PostgreSQL
#    only: there every executor hears of new work and so of the lease
#    (NOTIFY), while on SQLite the wake-up reaches one executor, and the
#    other learns of the lease only when woken by later work;
#  - with the default lease (15 minutes), an executor that dies mid-node
#    and one whose loop a node blocks past PIPELIT_STALL_TIMEOUT_SECONDS
#    (which the master kills) are replaced by executors that give their
#    leases back: the node runs again at once as attempt 2, not when the
#    lease runs out;
#  - a trigger writer stopped (SIGSTOP) past the stall timeout is replaced,
#    and triggers go on.
# The slow node sleeps 6 s, long enough to be killed in the middle of it on a
# loaded machine.  In each case every node that completed is logged exactly once.  Both
# backends.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use Time::HiRes qw(sleep);
use PipelitTest;
use PipelitAuth;
use PipelitEngine;

need_nginx();

my $LEASE = 3;

sub slow_workflow {
	my ($t, $tok, $slug, $seconds) = @_;
	build_workflow($t, $tok, $slug, [
		{ node_id => 'start', component_type => 'trigger_manual' },
		{ node_id => 'slow', component_type => 'reply_chat', config => { extra_config => { seconds => $seconds } } },
		{ node_id => 'after', component_type => 'reply_chat', config => { extra_config => { message => 'made it' } } }],
		[['start', 'slow'], ['slow', 'after']]) or return 0;
	make_test_sleep($t, $slug);
	return 1;
}

# The workflow's node 'slow' becomes a test_sleep (the API knows no test kinds).
sub make_test_sleep {
	my ($t, $slug) = @_;
	$t->db_query("UPDATE workflow_nodes SET component_type = 'test_sleep' WHERE node_id = 'slow' "
		. "AND workflow_id = (SELECT id FROM workflows WHERE slug = '$slug')");
}

sub leased {
	my ($t, $id, $node) = @_;
	return ($t->db_query("SELECT count(*) FROM execution_jobs WHERE execution_id = '$id' "
		. "AND node_id = '$node' AND state = 'leased'") // '') eq '1';
}

sub test_executor_killed_mid_node {
	my ($t, $tok) = @_;
	slow_workflow($t, $tok, 'killed', 6) or return;
	my $id = run_workflow($t, 'killed') or return;
	ok(PipelitTest::wait_until(20, sub { leased($t, $id, 'slow') }), 'the slow node is leased (in flight)')
		or return;
	sleep 0.5;
	my @ex = $t->executor_pids;
	is(scalar @ex, 1, 'one executor') or return;
	kill 'KILL', $ex[0];
	my $row = wait_execution($t, $id, 60);
	is($row->{status}, 'completed', 'the execution completes after its executor was killed mid-node')
		or diag($t->log_tail);
	is_deeply(log_rows($t, $id), ['slow|completed|2', 'after|completed|1'],
		'the interrupted node ran again as attempt 2; every completed node logged once');
	isnt(($t->executor_pids)[0] // '', $ex[0], 'by a new executor');
}

sub test_executor_killed_during_wait {
	my ($t, $tok) = @_;
	build_workflow($t, $tok, 'waiting', [
		{ node_id => 'start', component_type => 'trigger_manual' },
		{ node_id => 'w', component_type => 'wait', config => { extra_config => { duration => 3, unit => 'seconds' } } },
		{ node_id => 'after', component_type => 'reply_chat', config => { extra_config => { message => 'waited' } } }],
		[['start', 'w'], ['w', 'after']]) or return;
	my $id = run_workflow($t, 'waiting') or return;
	ok(PipelitTest::wait_until(20, sub {
		($t->db_query("SELECT count(*) FROM execution_jobs WHERE execution_id = '$id' AND node_id = 'after' "
			. "AND state = 'queued'") // '') eq '1' }), 'the node after the wait is queued for later') or return;
	kill 'KILL', $_ for $t->executor_pids;
	my $row = wait_execution($t, $id, 60);
	is($row->{status}, 'completed', 'the wait survives its executor') or diag($t->log_tail);
	is_deeply(log_rows($t, $id), ['w|completed|1', 'after|completed|1'], 'each node logged once');
}

sub test_pool_killed {
	my ($t, $tok) = @_;
	slow_workflow($t, $tok, 'powercut', 6) or return;
	my $id = run_workflow($t, 'powercut') or return;
	ok(PipelitTest::wait_until(20, sub { leased($t, $id, 'slow') }), 'the slow node is in flight') or return;
	sleep 0.5;
	my $master = $t->master_pid;
	kill 'KILL', $master, $t->child_pids;
	$t->kill_group($master);
	ok($t->start(@{ $t->{master_cmd} // [] }), 'the pool starts again') or return;
	my $row = wait_execution($t, $id, 60);
	is($row->{status}, 'completed', 'the execution completes after the whole pool was killed')
		or diag($t->log_tail);
	is_deeply(log_rows($t, $id), ['slow|completed|2', 'after|completed|1'], 'each completed node logged once');
}

# Two executors; the one running the slow node is blocked in it (test_sleep
# sleeps in the executor's own thread), so it cannot renew the lease.  The
# second run does not sleep, so its executor keeps the lease.  A wait on
# another branch keeps the execution running until after the first run
# ends, so that only the job's lease can tell its result is stale.
sub test_lease_outlived {
	my ($t, $tok) = @_;
	build_workflow($t, $tok, 'outlived', [
		{ node_id => 'start', component_type => 'trigger_manual' },
		{ node_id => 'slow', component_type => 'reply_chat',
		  config => { extra_config => { seconds => 8, sleeping_runs => 1 } } },
		{ node_id => 'after', component_type => 'reply_chat', config => { extra_config => { message => 'made it' } } },
		{ node_id => 'w', component_type => 'wait', config => { extra_config => { duration => 14, unit => 'seconds' } } },
		{ node_id => 'late', component_type => 'reply_chat', config => { extra_config => { message => 'waited' } } }],
		[['start', 'slow'], ['slow', 'after'], ['start', 'w'], ['w', 'late']]) or return;
	make_test_sleep($t, 'outlived');
	my $id = run_workflow($t, 'outlived') or return;
	ok(PipelitTest::wait_until(20, sub {
		($t->db_query("SELECT attempt FROM execution_jobs WHERE execution_id = '$id' "
			. "AND node_id = 'slow' AND state = 'leased'") // '') eq '1' }), 'the slow node runs as attempt 1')
		or return;
	my $ran = sub { [ sort grep { !/^(start|w)\|/ } @{ log_rows($t, $id) } ] };
	ok(PipelitTest::wait_until(30, sub { "@{ $ran->() }" eq 'after|completed|1 slow|completed|2' }),
		'once the lease has run out, the other executor runs the node again as attempt 2')
		or diag(explain($ran->()));
	ok(PipelitTest::wait_until(30, sub {
		$t->log_text =~ /execution \Q$id\E, node slow, attempt 1: the job is no longer this executor's/ }),
		"the first executor's result, when it comes, is dropped") or diag($t->log_tail);
	is(execution_row($t, $id)->{status}, 'running', 'while the execution still runs (its wait)');
	my $row = wait_execution($t, $id, 60);
	is($row->{status}, 'completed', 'the execution completes') or diag($t->log_tail);
	is_deeply($ran->(), ['after|completed|1', 'late|completed|1', 'slow|completed|2'], 'each node is logged once');
	is($t->db_query("SELECT count(*) FROM execution_jobs WHERE execution_id = '$id'"), '0', 'no job is left');
}

my $STALL = 8;

# A workflow whose node 'slow' blocks its executor's loop for $seconds on
# its first run only.
sub blocking_workflow {
	my ($t, $tok, $slug, $seconds) = @_;
	build_workflow($t, $tok, $slug, [
		{ node_id => 'start', component_type => 'trigger_manual' },
		{ node_id => 'slow', component_type => 'reply_chat',
		  config => { extra_config => { seconds => $seconds, sleeping_runs => 1 } } },
		{ node_id => 'after', component_type => 'reply_chat', config => { extra_config => { message => 'made it' } } }],
		[['start', 'slow'], ['slow', 'after']]) or return 0;
	make_test_sleep($t, $slug);
	return 1;
}

sub pool_status { my ($t) = @_; return $t->json($t->get('/status')) // {} }

sub role_pid {
	my ($t, $role) = @_;
	my ($c) = grep { $_->{role} eq $role } @{ pool_status($t)->{children} // [] };
	return $c ? $c->{pid} : undef;
}

# The lease is 15 minutes here: completing within a minute means the
# replacement gave the dead executor's lease back.
sub test_killed_gives_back {
	my ($t, $tok) = @_;
	blocking_workflow($t, $tok, 'crashed', 300) or return;
	my $id = run_workflow($t, 'crashed') or return;
	ok(PipelitTest::wait_until(20, sub { leased($t, $id, 'slow') }), 'the blocking node is in flight') or return;
	my @ex = $t->executor_pids;
	kill 'KILL', @ex;
	my $row = wait_execution($t, $id, 60);
	is($row->{status}, 'completed', 'the execution completes long before the lease would run out')
		or diag($t->log_tail);
	is_deeply(log_rows($t, $id), ['slow|completed|2', 'after|completed|1'],
		'the interrupted node ran again as attempt 2; each node logged once');
	like($t->log_text, qr/the jobs leased to \S+:$ex[0]:\S+, an executor that is gone, are due again/,
		'the new executor says it gave the dead one\'s leases back');
}

sub test_stalled_executor {
	my ($t, $tok) = @_;
	blocking_workflow($t, $tok, 'stalled', 300) or return;
	my @before = $t->executor_pids;
	my $killed = pool_status($t)->{killed_stalled};
	my $id = run_workflow($t, 'stalled') or return;
	my $row = wait_execution($t, $id, 90);
	is($row->{status}, 'completed', 'an execution whose node blocks the executor for 5 minutes completes anyway')
		or diag($t->log_tail);
	is_deeply(log_rows($t, $id), ['slow|completed|2', 'after|completed|1'],
		'the node ran again as attempt 2 on a new executor');
	like($t->log_text, qr/executor pid $before[0]: its loop has not turned for \d+ ms, past PIPELIT_STALL_TIMEOUT_SECONDS=$STALL; killing it/,
		'the master says it killed the stalled executor');
	is(pool_status($t)->{killed_stalled}, $killed + 1, '/status counts it');
	isnt(($t->executor_pids)[0] // '', $before[0], 'a new executor runs');
}

sub test_stalled_writer {
	my ($t, $tok) = @_;
	my $writer = role_pid($t, 'triggers');
	ok($writer, "the trigger writer runs ($writer)") or return;
	ok(kill('STOP', $writer), 'SIGSTOP to it');
	ok(PipelitTest::wait_until(60, sub { my $p = role_pid($t, 'triggers'); $p && $p != $writer }),
		'the master replaces it past the stall timeout') or diag($t->log_tail);
	build_workflow($t, $tok, 'after-writer', [
		{ node_id => 'start', component_type => 'trigger_manual' },
		{ node_id => 'r', component_type => 'reply_chat', config => { extra_config => { message => 'ok' } } }],
		[['start', 'r']]) or return;
	my $id = run_workflow($t, 'after-writer') or return;
	is(wait_execution($t, $id, 30)->{status}, 'completed', 'triggers go on');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url,
		env => { ZOMBIE_EXECUTION_THRESHOLD_SECONDS => $LEASE }) or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	subtest executor_killed_mid_node => sub { test_executor_killed_mid_node($t, $alice) };
	subtest executor_killed_during_wait => sub { test_executor_killed_during_wait($t, $alice) };
	subtest pool_killed => sub { test_pool_killed($t, $alice) };
	$t->stop;
	my $long = PipelitTest->started(db_url => $db_url, env => { PIPELIT_STALL_TIMEOUT_SECONDS => $STALL },
		name => 'a pool with the default lease and an 8 s stall timeout starts') or return;
	subtest killed_gives_back => sub { test_killed_gives_back($long, $alice) };
	subtest stalled_executor => sub { test_stalled_executor($long, $alice) };
	subtest stalled_writer => sub { test_stalled_writer($long, $alice) };
	$long->stop;
	return if $backend eq 'sqlite';
	my $two = PipelitTest->started(db_url => $db_url, executors => 2,
		env => { ZOMBIE_EXECUTION_THRESHOLD_SECONDS => $LEASE }, name => 'a pool with two executors starts')
		or return;
	subtest lease_outlived => sub { test_lease_outlived($two, $alice) };
});

done_testing();
