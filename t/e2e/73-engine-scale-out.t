# Scale-out: two pools (two "hosts") on one PostgreSQL database share the
# work of 10,000 executions with no coordinator.  One pool is SIGKILLed
# halfway; the other finishes everything, taking over the jobs the dead one
# held once their leases expire.  Every node completes exactly once (one
# completed log row per execution and node) and nothing is left queued.
# PostgreSQL only (SQLite is one host).
#
# The trigger's transaction runs logic nodes itself (doc/engine.md, "Inline
# runs"), so a logic-only workflow would never reach the pools: a short
# `wait` puts the last node on the queue, where the executors of both pools
# compete for it.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep time);
use PipelitTest;
use PipelitAuth;
use PipelitEngine;

need_nginx();

my $N = $ENV{PIPELIT_SCALE_OUT_EXECUTIONS} // 10000;

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	plan skip_all => 'several hosts share a PostgreSQL database, not a SQLite file' if $backend eq 'sqlite';
	my %env = (ZOMBIE_EXECUTION_THRESHOLD_SECONDS => 3);
	my $a = PipelitTest->started(db_url => $db_url, env => \%env, name => 'pool A starts') or return;
	my $b = PipelitTest->started(db_url => $db_url, env => \%env, name => 'pool B starts') or return;
	my $tok = make_user($a, 'alice', 'alice-pass-1', 'normal') or return;
	build_workflow($a, $tok, 'spread', [
		{ node_id => 'start', component_type => 'trigger_manual' },
		{ node_id => 'sw', component_type => 'switch', config => { extra_config => { rules => [
			{ id => 'go', field => 'trigger.text', operator => 'equals', value => 'go' }] } } },
		{ node_id => 'w', component_type => 'wait', config => { extra_config => { duration => 0.05, unit => 'seconds' } } },
		{ node_id => 'r', component_type => 'reply_chat', config => { extra_config => { message => 'done {{ trigger.text }}' } } }],
		[['start', 'sw'], ['sw', 'w', { edge_type => 'conditional', condition_value => 'go' }], ['w', 'r']]) or return;

	my ($rc, $out) = $a->pipelit('run', 'spread', '--text', 'go', '--count', $N);
	is($rc, 0, "$N executions started") or return diag($out);
	my $done = sub { $a->db_query("SELECT count(*) FROM workflow_executions WHERE status = 'completed'") // 0 };
	ok(PipelitTest::wait_until(300, sub { $done->() >= $N / 2 }), 'half of them completed') or return;
	my $master = $a->master_pid;
	kill 'KILL', $master, $a->child_pids;
	$a->kill_group($master);
	pass('pool A killed with SIGKILL, mid-run');

	ok(PipelitTest::wait_until(900, sub { $done->() == $N }), 'pool B completes every execution')
		or diag('completed: ' . $done->() . "\n" . $b->log_tail);
	is($b->db_query("SELECT count(*) FROM workflow_executions WHERE status <> 'completed'"), '0',
		'none failed or is left pending/running');
	is($b->db_query("SELECT count(*) FROM execution_jobs"), '0', 'no job is left');
	is($b->db_query("SELECT count(*) FROM execution_logs WHERE status = 'completed'"), 3 * $N,
		'three node completions per execution');
	is($b->db_query("SELECT count(*) FROM execution_logs WHERE node_id = 'r' AND status = 'completed'"), $N,
		'the queued node ran once per execution');
	is($b->db_query("SELECT count(*) FROM (SELECT execution_id, node_id FROM execution_logs "
		. "GROUP BY execution_id, node_id HAVING count(*) > 1) d"), '0', 'no node completed twice');
	my $retaken = $b->db_query("SELECT count(*) FROM execution_logs WHERE attempt > 1") // 0;
	note("node runs taken over after pool A died: $retaken");
	like($b->log_text, qr/./, 'pool B logged');
});

done_testing();
