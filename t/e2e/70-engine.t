# The engine: executions started by `pipelit run` run through the pool's
# executors to their end.  Chains, switch routes with the untaken branch
# ruled out (a join after it runs once), fan-out and a join barrier,
# waits, loops, node failures with retries, human confirmation waits,
# subworkflows, timeouts.  Both backends.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use PipelitTest;
use PipelitAuth;
use PipelitEngine;
use PipelitEvents;
use IO::Socket::INET;
use Time::HiRes qw(sleep);

need_nginx();

sub reply { my ($id, $msg) = @_; return { node_id => $id, component_type => 'reply_chat', config => { extra_config => { message => $msg } } } }
sub trigger { return { node_id => 'start', component_type => 'trigger_manual' } }

sub test_chain {
	my ($t, $tok) = @_;
	build_workflow($t, $tok, 'chain', [trigger(), reply('r1', 'one'), reply('r2', 'two')],
		[['start', 'r1'], ['r1', 'r2']]) or return;
	my $id = run_workflow($t, 'chain', '--text', 'hi') or return;
	my $row = wait_execution($t, $id);
	is($row->{status}, 'completed', 'a chain completes') or diag($t->log_tail);
	is_deeply(decode_json($row->{output} // 'null'), { output => 'two' }, 'final output is the last reply');
	is_deeply(log_rows($t, $id), ['r1|completed|1', 'r2|completed|1'], 'each node logged once, in order');
	is($t->db_query("SELECT count(*) FROM execution_jobs WHERE execution_id = '$id'"), '0', 'no job left');
}

sub test_switch_join {
	my ($t, $tok) = @_;
	build_workflow($t, $tok, 'branch', [trigger(),
		{ node_id => 'sw', component_type => 'switch', config => { extra_config => { rules => [
			{ id => 'y', field => 'trigger.text', operator => 'equals', value => 'y' },
			{ id => 'n', field => 'trigger.text', operator => 'equals', value => 'n' }] } } },
		reply('yes', 'took yes'), reply('no', 'took no'), reply('join', 'joined')],
		[['start', 'sw'],
		 ['sw', 'yes', { edge_type => 'conditional', condition_value => 'y' }],
		 ['sw', 'no', { edge_type => 'conditional', condition_value => 'n' }],
		 ['yes', 'join'], ['no', 'join']]) or return;
	my $id = run_workflow($t, 'branch', '--text', 'y') or return;
	my $row = wait_execution($t, $id);
	is($row->{status}, 'completed', 'switch workflow completes') or diag($t->log_tail);
	is_deeply(log_rows($t, $id), ['sw|completed|1', 'yes|completed|1', 'join|completed|1'],
		'the route taken runs, the other is ruled out, the join runs once');
}

sub test_expressions_and_loop {
	my ($t, $tok) = @_;
	build_workflow($t, $tok, 'loopy', [trigger(),
		{ node_id => 'items', component_type => 'merge', config => { extra_config => { source_nodes => ['start'] } } },
		{ node_id => 'each', component_type => 'loop',
		  config => { extra_config => { source_node => 'start', field => 'payload' } } },
		reply('body', 'item {{ loop.index }}={{ loop.item }}'),
		reply('end', '{{ trigger.text | upper }} {{ each.results | length }}: {{ each.results | map(attribute="output") | join(",") }}')],
		[['start', 'items'], ['items', 'each'],
		 ['each', 'body', { edge_label => 'loop_body' }], ['body', 'each', { edge_label => 'loop_return' }],
		 ['each', 'end']]) or return;
	my $id = run_workflow($t, 'loopy', '--payload', '{"text": "go", "payload": ["x", "y", "z"]}') or return;
	my $row = wait_execution($t, $id);
	is($row->{status}, 'completed', 'a loop over three items completes') or diag($t->log_tail);
	is_deeply(decode_json($row->{output} // 'null'), { output => 'GO 3: item 0=x,item 1=y,item 2=z' },
		'the body ran per item with loop.item and loop.index; results collected in order; filters applied');
	is_deeply(log_rows($t, $id), ['items|completed|1', 'each|completed|1', 'body|completed|1',
		'body|completed|1', 'body|completed|1', 'end|completed|1'], 'the body ran three times, the rest once');

	build_workflow($t, $tok, 'badtemplate', [trigger(), reply('r', 'Hello {{ nobody.here }}')],
		[['start', 'r']]) or return;
	$id = run_workflow($t, 'badtemplate') or return;
	$row = wait_execution($t, $id);
	is_deeply(decode_json($row->{output} // 'null'), { output => 'Hello {{ nobody.here }}' },
		'a template that fails to render keeps its text, as in Pipelit');
	like($t->db_query("SELECT input FROM execution_logs WHERE execution_id = '$id'") // '',
		qr/template_errors.*extra_config.message.*nobody|template_errors.*nobody.*extra_config.message/, "and the node's log records the error");
}

sub test_fan_out {
	my ($t, $tok) = @_;
	build_workflow($t, $tok, 'fan', [trigger(), reply('a', 'A'), reply('b', 'B'), reply('c', 'C'), reply('j', 'J')],
		[['start', 'a'], ['start', 'b'], ['start', 'c'], ['a', 'j'], ['b', 'j'], ['c', 'j']]) or return;
	my $id = run_workflow($t, 'fan') or return;
	my $row = wait_execution($t, $id);
	is($row->{status}, 'completed', 'fan-out completes') or diag($t->log_tail);
	my @rows = @{ log_rows($t, $id) };
	is(scalar(grep { /^j\|/ } @rows), 1, 'the join after three branches runs once');
	is($rows[-1], 'j|completed|1', 'and last');
	is(scalar @rows, 4, 'four nodes logged');
}

sub test_wait {
	my ($t, $tok) = @_;
	build_workflow($t, $tok, 'waits', [trigger(),
		{ node_id => 'w', component_type => 'wait', config => { extra_config => { duration => 1, unit => 'seconds' } } },
		reply('after', 'done')], [['start', 'w'], ['w', 'after']]) or return;
	my $id = run_workflow($t, 'waits') or return;
	my $row = wait_execution($t, $id);
	is($row->{status}, 'completed', 'a wait delays its successor and the execution completes') or diag($t->log_tail);
	my $gap = $t->db_query("SELECT count(*) FROM execution_logs a JOIN execution_logs b ON a.execution_id = b.execution_id "
		. "WHERE a.execution_id = '$id' AND a.node_id = 'w' AND b.node_id = 'after' AND b.timestamp > a.timestamp");
	is($gap, '1', 'the successor ran after the wait');
}

# A node of a test-only kind (engine/test_kinds.h): made as a reply_chat
# through the API, then its type changed in the database.
sub test_node {
	my ($t, $slug, $node_id, $kind) = @_;
	return $t->db_query("UPDATE workflow_nodes SET component_type = '$kind' WHERE node_id = '$node_id' "
		. "AND workflow_id = (SELECT id FROM workflows WHERE slug = '$slug')");
}

sub test_retries {
	my ($t, $tok) = @_;
	build_workflow($t, $tok, 'flaky', [trigger(),
		{ node_id => 'f', component_type => 'reply_chat', config => { extra_config => { fail_times => 2 } } },
		{ node_id => 'g', component_type => 'reply_chat', config => { extra_config => { fail_times => 9 } } },
		reply('after', 'done')], [['start', 'f'], ['f', 'after']]) or return;
	test_node($t, 'flaky', $_, 'test_flaky') for qw(f g);
	my $id = run_workflow($t, 'flaky') or return;
	my $row = wait_execution($t, $id);
	is($row->{status}, 'completed', 'a node that fails twice is retried and the execution completes')
		or diag($t->log_tail);
	is_deeply(log_rows($t, $id), ['f|failed|1', 'f|failed|2', 'f|completed|3', 'after|completed|1'],
		'each failed run logged with its attempt, then the success');
	my $err = $t->db_query("SELECT error_code FROM execution_logs WHERE execution_id = '$id' AND status = 'failed' LIMIT 1");
	is($err, 'flaky', 'the failure carries its error code');

	build_workflow($t, $tok, 'hopeless', [trigger(),
		{ node_id => 'g', component_type => 'reply_chat', config => { extra_config => { fail_times => 9 } } },
		reply('after', 'never')], [['start', 'g'], ['g', 'after']]) or return;
	test_node($t, 'hopeless', 'g', 'test_flaky');
	$id = run_workflow($t, 'hopeless') or return;
	$row = wait_execution($t, $id, 60);
	is($row->{status}, 'failed', 'a node that keeps failing fails the execution after its retries');
	like($row->{error}, qr/^Node g: failing on purpose/, 'error_message names the node');
	is_deeply(log_rows($t, $id), ['g|failed|1', 'g|failed|2', 'g|failed|3', 'g|failed|4'],
		'four runs (one and three retries); its successor never ran');
}

sub test_timeout {
	my ($t, $tok) = @_;
	build_workflow($t, $tok, 'slowpoke', [trigger(),
		{ node_id => 'w', component_type => 'wait', config => { extra_config => { duration => 2, unit => 'seconds' } } },
		reply('late', 'too late')], [['start', 'w'], ['w', 'late']], { max_execution_seconds => 1 }) or return;
	my $id = run_workflow($t, 'slowpoke') or return;
	my $row = wait_execution($t, $id);
	is($row->{status}, 'failed', 'an execution past max_execution_seconds fails');
	like($row->{error}, qr/^Execution timed out after \d+s \(limit: 1s\)$/, 'with the timeout message');
	is_deeply(log_rows($t, $id), ['w|completed|1'], 'the node after the limit never ran');
}

sub test_cancel {
	my ($t, $tok) = @_;
	# The wait is long enough for a loaded machine to cancel inside it.
	build_workflow($t, $tok, 'cancelme', [trigger(),
		{ node_id => 'w', component_type => 'wait', config => { extra_config => { duration => 6, unit => 'seconds' } } },
		reply('after', 'no')], [['start', 'w'], ['w', 'after']]) or return;
	my $id = run_workflow($t, 'cancelme') or return;
	wait_execution($t, $id, 10, qr/^running$/);
	my ($res, $j) = api($t, $tok, 'POST', "executions/$id/cancel/");
	is($res->{status}, 200, 'cancel answers 200') or diag($res->{content});
	is($j->{status}, 'cancelled', 'the answer says cancelled');
	sleep 7;
	my $row = execution_row($t, $id);
	is($row->{status}, 'cancelled', 'the execution stays cancelled');
	ok(!grep({ /^after\|/ } @{ log_rows($t, $id) }), 'the node after the wait never ran');
	is($t->db_query("SELECT count(*) FROM execution_jobs WHERE execution_id = '$id'"), '0', 'no job left');
}

sub test_confirmation {
	my ($t, $tok) = @_;
	build_workflow($t, $tok, 'approve', [trigger(),
		{ node_id => 'ok', component_type => 'human_confirmation', config => { extra_config => { prompt => 'Ship it?' } } },
		reply('pre', 'about to ship'), reply('yes', 'shipped')],
		[['start', 'pre'], ['pre', 'ok'], ['ok', 'yes']]) or return;
	my $id = run_workflow($t, 'approve') or return;
	my $row = wait_execution($t, $id);
	is($row->{status}, 'interrupted', 'a human confirmation makes the execution wait, interrupted');
	is($t->db_query("SELECT prompt FROM pending_tasks WHERE execution_id = '$id'"), 'Ship it?', 'with its prompt as a pending task');
	my ($res) = api($t, $tok, 'POST', "executions/$id/confirm/", { action => 'confirm' });
	is($res->{status}, 200, 'confirm answers 200') or diag($res->{content});
	$row = wait_execution($t, $id);
	is($row->{status}, 'completed', 'confirmed, it runs to its end') or diag($t->log_tail);
	is_deeply(log_rows($t, $id), ['pre|completed|1', 'ok|completed|1', 'yes|completed|1'],
		'each node ran once: the one before the wait is not run again');
}

sub test_subworkflow {
	my ($t, $tok) = @_;
	build_workflow($t, $tok, 'child', [reply('c1', 'from the child')], []) or return;
	build_workflow($t, $tok, 'parent', [trigger(),
		{ node_id => 'sub', component_type => 'workflow', config => { extra_config => { target_workflow => 'child' } } },
		reply('p2', 'parent done')], [['start', 'sub'], ['sub', 'p2']]) or return;
	my $id = run_workflow($t, 'parent') or return;
	my $row = wait_execution($t, $id);
	is($row->{status}, 'completed', 'a parent waits for its child and completes') or diag($t->log_tail);
	my $child = $t->db_query("SELECT status || '|' || final_output FROM workflow_executions WHERE parent_execution_id = '$id'");
	is($child, 'completed|{"output":"from the child"}', 'the child ran to its end');
	my $out = $t->db_query("SELECT output FROM execution_logs WHERE execution_id = '$id' AND node_id = 'sub'");
	like($out // '', qr/from the child/, "the subworkflow node's output is the child's");
}

sub test_identify_user {
	my ($t, $tok) = @_;
	build_workflow($t, $tok, 'whois', [trigger(),
		{ node_id => 'iu', component_type => 'identify_user' },
		reply('r', '{{ iu.user_id }} new={{ iu.is_new_user }} n={{ iu.user_context.total_conversations }}')],
		[['start', 'iu'], ['iu', 'r']]) or return;
	my @out;
	for my $i (1, 2) {
		my $id = run_workflow($t, 'whois', '--payload', '{"source": "chat", "user_id": "u42", "user_name": "Ada"}') or return;
		my $row = wait_execution($t, $id);
		is($row->{status}, 'completed', "identify_user run $i completes") or diag($t->log_tail);
		push @out, decode_json($row->{output} // '{}')->{output} // '';
	}
	is_deeply(\@out, ['chat:u42 new=True n=1', 'chat:u42 new=False n=2'],
		'the first run creates the memory user, the second finds it and counts the conversation');
}

# A failing execution starts its workflow's error handler with what went
# wrong.
sub test_error_handler {
	my ($t, $tok) = @_;
	build_workflow($t, $tok, 'on-error', [reply('h', 'handled: {{ trigger.error.message }}')], []) or return;
	my $handler = $t->db_query("SELECT id FROM workflows WHERE slug = 'on-error'") or return;
	build_workflow($t, $tok, 'breaks', [trigger(),
		{ node_id => 'bad', component_type => 'switch', config => { extra_config => { rules => [
			{ id => 'x', field => 'trigger.text', operator => 'matches_regex', value => '{{ trigger.text }}' }] } } }],
		[['start', 'bad']], { error_handler_workflow_id => $handler + 0 }) or return;
	my $id = run_workflow($t, 'breaks', '--text', '(unclosed') or return;
	my $row = wait_execution($t, $id);
	is($row->{status}, 'failed', 'a node with a pattern that does not compile fails the execution');
	my $h;
	PipelitTest::wait_until(30, sub {
		$h = $t->db_query("SELECT status || '|' || final_output FROM workflow_executions "
			. "WHERE workflow_id = $handler") // '';
		$h =~ /^(completed|failed)/ });
	like($h, qr/^completed\|\{"output":"handled: Node bad: /, 'the error handler ran with the error as its payload');
}

# The events of a run, heard on the workflow's channel: every event of the
# execution, in order, with consecutive sequence numbers; a child's node
# events re-sent to its parent's channel as child_node_status.
sub test_events {
	my ($t, $tok) = @_;
	build_workflow($t, $tok, 'evchild', [reply('c', 'child says hi')], []) or return;
	build_workflow($t, $tok, 'evparent', [trigger(), reply('a', 'A'),
		{ node_id => 'sub', component_type => 'workflow', config => { extra_config => { target_workflow => 'evchild' } } }],
		[['start', 'a'], ['a', 'sub']]) or return;
	my ($res, $tk) = ticket($t, $tok, 'workflow:evparent');
	is($res->{status}, 200, 'a ticket for the workflow channel') or return;
	my ($status, $s) = subscribe($t, $tk->{url});
	is($status, 200, 'subscribed') or return;
	my $id = run_workflow($t, 'evparent') or return;
	my $row = wait_execution($t, $id);
	is($row->{status}, 'completed', 'the parent completes') or return;
	my $text = read_until($s, qr/"execution_completed"/, 10);
	my @events = map { decode_json($_) } $text =~ /^data: (\{.*\})\s*$/mg;
	my @own = grep { ($_->{execution_id} // '') eq $id } @events;
	is_deeply([map { $_->{seq} } @own], [1 .. scalar @own], 'the execution events carry consecutive sequence numbers');
	is_deeply([map { $_->{type} . ($_->{data}{status} ? ":$_->{data}{status}:$_->{data}{node_id}" : '') } @own],
		['execution_started', 'node_enqueued', 'node_status:running:a', 'node_status:success:a', 'node_enqueued',
		 'node_status:waiting:sub', 'node_status:running:sub', 'node_status:success:sub', 'execution_completed'],
		'in order: started, each node enqueued, running, success (the subworkflow node waiting first), completed');
	is_deeply($own[-1]{data}{output}, { output => 'A' }, "execution_completed carries the final output (the parent's reply)");
	is(scalar(grep { ($_->{channel} // '') eq 'workflow:evparent' } @own), scalar @own,
		'every message on the workflow channel names it in "channel" (pipelit-engine.md 2.12)');
	close $s;
	# The parent's own channel, watched from before the subworkflow runs
	# (nobody watched it before: nothing was published on it then).
	build_workflow($t, $tok, 'evparent2', [trigger(),
		{ node_id => 'ok', component_type => 'human_confirmation', config => { extra_config => { prompt => 'Go?' } } },
		{ node_id => 'sub', component_type => 'workflow', config => { extra_config => { target_workflow => 'evchild' } } }],
		[['start', 'ok'], ['ok', 'sub']]) or return;
	my $id2 = run_workflow($t, 'evparent2') or return;
	is(wait_execution($t, $id2)->{status}, 'interrupted', 'a second parent waits for a confirmation') or return;
	($res, $tk) = ticket($t, $tok, "execution:$id2");
	($status, $s) = subscribe($t, $tk->{url});
	is($status, 200, 'subscribed to its execution channel') or return;
	($res) = api($t, $tok, 'POST', "executions/$id2/confirm/", { action => 'confirm' });
	is($res->{status}, 200, 'confirmed') or return;
	$text = read_until($s, qr/"execution_completed"/, 10);
	close $s;
	my @late = map { decode_json($_) } $text =~ /^data: (\{.*\})\s*$/mg;
	my @late_own = grep { ($_->{execution_id} // '') eq $id2 && defined $_->{seq} } @late;
	ok(@late_own && $late_own[-1]{type} eq 'execution_completed', 'the execution channel carries the rest of it')
		or diag($text);
	is(scalar(grep { ($_->{channel} // '') eq 'workflow:evparent2' } @late_own), scalar @late_own,
		'one message serves both channels: on the execution channel too it names the workflow channel');
	my @child = grep { $_->{type} eq 'child_node_status' } @late;
	ok(scalar(grep { $_->{data}{node_id} eq 'c' && $_->{data}{status} eq 'success' && $_->{data}{is_child_event}
		&& $_->{data}{parent_node_id} eq 'sub' } @child), "the child's node events reach the parent's channel")
		or diag($text);
	my $child = $t->db_query("SELECT execution_id FROM workflow_executions WHERE parent_execution_id = '$id'");
	ok($child, 'the child execution exists');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url) or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	subtest chain => sub { test_chain($t, $alice) };
	subtest switch_join => sub { test_switch_join($t, $alice) };
	subtest fan_out => sub { test_fan_out($t, $alice) };
	subtest expressions_and_loop => sub { test_expressions_and_loop($t, $alice) };
	subtest wait => sub { test_wait($t, $alice) };
	subtest retries => sub { test_retries($t, $alice) };
	subtest timeout => sub { test_timeout($t, $alice) };
	subtest cancel => sub { test_cancel($t, $alice) };
	subtest confirmation => sub { test_confirmation($t, $alice) };
	subtest subworkflow => sub { test_subworkflow($t, $alice) };
	subtest identify_user => sub { test_identify_user($t, $alice) };
	subtest events => sub { test_events($t, $alice) };
	subtest error_handler => sub { test_error_handler($t, $alice) };
});

done_testing();
