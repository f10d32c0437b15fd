# A burst larger than one pass holds: 1,000 executions started at once are
# claimed and run by one executor in passes that make their commits
# durable, publish their events and forget their finished executions part
# way (every 2,048 held events) before going on.  Every execution completes,
# every node exactly once, and nothing is left queued.
use strict;
use warnings;
use Test::More;
use PipelitTest;
use PipelitAuth;
use PipelitEngine;

need_nginx();

my $N = 1000;

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $p = PipelitTest->started(db_url => $db_url, executors => 1, name => 'pool starts') or return;
	my $tok = make_user($p, 'alice', 'alice-pass-1', 'normal') or return;
	build_workflow($p, $tok, 'burst', [
		{ node_id => 'start', component_type => 'trigger_manual' },
		{ node_id => 'sw', component_type => 'switch', config => { extra_config => { rules => [
			{ id => 'go', field => 'trigger.text', operator => 'equals', value => 'go' }] } } },
		{ node_id => 'r', component_type => 'reply_chat', config => { extra_config => { message => 'done {{ trigger.text }}' } } }],
		[['start', 'sw'], ['sw', 'r', { edge_type => 'conditional', condition_value => 'go' }]]) or return;

	my ($rc, $out) = $p->pipelit('run', 'burst', '--text', 'go', '--count', $N);
	is($rc, 0, "$N executions started at once") or return diag($out);
	my $done = sub { $p->db_query("SELECT count(*) FROM workflow_executions WHERE status = 'completed'") // 0 };
	ok(PipelitTest::wait_until(300, sub { $done->() == $N }), 'every execution completes')
		or diag('completed: ' . $done->() . "\n" . $p->log_tail);
	is($p->db_query("SELECT count(*) FROM workflow_executions WHERE status <> 'completed'"), '0',
		'none failed or is left pending/running');
	is($p->db_query("SELECT count(*) FROM execution_jobs"), '0', 'no job is left');
	is($p->db_query("SELECT count(*) FROM execution_logs WHERE status = 'completed'"), 2 * $N,
		'two node completions per execution');
	is($p->db_query("SELECT count(*) FROM (SELECT execution_id, node_id FROM execution_logs "
		. "GROUP BY execution_id, node_id HAVING count(*) > 1) d"), '0', 'no node completed twice');
	my $out_text = $p->db_query("SELECT count(*) FROM workflow_executions WHERE status = 'completed' "
		. "AND CAST(final_output AS TEXT) LIKE '%done go%'");
	is($out_text, $N, "every execution's output is its reply");
});

done_testing();
