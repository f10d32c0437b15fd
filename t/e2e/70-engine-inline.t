# A logic-only execution runs inside its trigger's transaction
# (doc/engine.md, "Inline runs"): fired through execute, chat or a webhook
# on a pool with no executor at all, it is completed when the trigger's
# answer arrives, each node logged once with attempt 1, its events in
# order with consecutive sequence numbers; a synchronous webhook answers
# 200 with the output, and a repeated delivery answers the same result.
# A workflow with a delayed wait after its logic nodes runs its logic part
# in the trigger, queues the rest, and completes once an executor is
# there, with the logic part logged once.  Both backends.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use PipelitTest;
use PipelitAuth;
use PipelitEngine;
use PipelitEvents;
use IO::Socket::INET;

need_nginx();

my $NCHAN = -f '/usr/lib/nginx/modules/ngx_nchan_module.so';

sub reply { my ($id, $msg) = @_; return { node_id => $id, component_type => 'reply_chat', config => { extra_config => { message => $msg } } } }

# trigger -> switch -> a | b -> reply: the bench's workflow (bench/engine_workflows.pl).
sub logic_workflow {
	my ($t, $tok, $slug, $trigger) = @_;
	return build_workflow($t, $tok, $slug, [$trigger,
		{ node_id => 'sw', component_type => 'switch', config => { extra_config => { rules => [
			{ id => 'y', field => 'trigger.text', operator => 'equals', value => 'y' },
			{ id => 'n', field => 'trigger.text', operator => 'equals', value => 'n' }] } } },
		reply('a', 'took a'), reply('b', 'took b'), reply('out', '{{ trigger.text }}: done')],
		[[$trigger->{node_id}, 'sw'],
		 ['sw', 'a', { edge_type => 'conditional', condition_value => 'y' }],
		 ['sw', 'b', { edge_type => 'conditional', condition_value => 'n' }],
		 ['a', 'out'], ['b', 'out']]);
}

sub status_now {
	my ($t, $tok, $id) = @_;
	my ($res, $j) = api($t, $tok, 'GET', "executions/$id/status/");
	return $j->{status} // "($res->{status})";
}

sub own_events {
	my ($text, $id) = @_;
	my @events = map { decode_json($_) } $text =~ /^data: (\{.*\})\s*$/mg;
	return grep { ($_->{execution_id} // '') eq $id && defined $_->{seq} } @events;
}

sub test_execute {
	my ($t, $tok) = @_;
	logic_workflow($t, $tok, 'inl', { node_id => 'start', component_type => 'trigger_manual' }) or return;
	my ($res, $tk) = ticket($t, $tok, 'workflow:inl');
	is($res->{status}, 200, 'a ticket for the workflow channel') or return;
	my ($status, $s) = subscribe($t, $tk->{url});
	is($status, 200, 'subscribed') or return;
	($res, my $j) = api($t, $tok, 'POST', 'workflows/inl/execute/', { text => 'y' });
	is($res->{status}, 200, 'execute answers 200') or return diag($res->{content});
	my $id = $j->{execution_id};
	is(status_now($t, $tok, $id), 'completed', 'the execution is completed when the answer arrives (no executor runs)');
	is_deeply(log_rows($t, $id), ['sw|completed|1', 'a|completed|1', 'out|completed|1'],
		'one log row per node that ran, each attempt 1');
	is_deeply(decode_json(execution_row($t, $id)->{output} // 'null'), { output => 'y: done' },
		'final output from the last reply');
	is($t->db_query("SELECT count(*) FROM execution_jobs WHERE execution_id = '$id'"), '0', 'no job was written');
	my $text = read_until($s, qr/"execution_completed"[^\n]*\Q$id\E|\Q$id\E[^\n]*"execution_completed"/, 10);
	close $s;
	my @own = own_events($text, $id);
	is_deeply([map { $_->{seq} } @own], [1 .. scalar @own], 'its events carry consecutive sequence numbers from 1')
		or diag($text);
	is_deeply([map { $_->{type} . ($_->{data}{status} ? ":$_->{data}{status}:$_->{data}{node_id}" : '') } @own],
		['execution_started', 'node_enqueued', 'node_status:running:sw', 'node_status:success:sw',
		 'node_enqueued', 'node_status:running:a', 'node_status:success:a',
		 'node_enqueued', 'node_status:running:out', 'node_status:success:out', 'execution_completed'],
		'in order: started, each node enqueued, running, success, completed');
	my ($d) = api($t, $tok, 'GET', "executions/$id/");
	is($t->json($d)->{event_seq}, scalar @own, "the execution's event_seq is its last event's");
}

sub test_chat {
	my ($t, $tok) = @_;
	build_workflow($t, $tok, 'inlchat', [{ node_id => 'chat', component_type => 'trigger_chat' }, reply('r', 'you said {{ trigger.text }}')],
		[['chat', 'r']]) or return;
	my ($res, $j) = api($t, $tok, 'POST', 'workflows/inlchat/chat/', { text => 'hello' });
	is($res->{status}, 200, 'chat answers 200') or return diag($res->{content});
	is(status_now($t, $tok, $j->{execution_id}), 'completed', 'a chat to logic nodes is completed when the answer arrives');
	is_deeply(log_rows($t, $j->{execution_id}), ['r|completed|1'], 'its reply logged once');
}

sub deliver {
	my ($t, $path, $body, $headers) = @_;
	my $res = $t->request('POST', "/api/v1/webhooks/$path",
		{ content => $body, headers => { 'Content-Type' => 'application/json', %{ $headers // {} } } });
	return ($res, $t->json($res));
}

sub test_webhooks {
	my ($t, $tok) = @_;
	logic_workflow($t, $tok, 'inlasync', { node_id => 'hook', component_type => 'trigger_webhook',
		config => { extra_config => { path => 'inline-async' } } }) or return;
	my ($res, $j) = deliver($t, 'inline-async', '{"text": "n"}');
	is($res->{status}, 202, 'an asynchronous webhook answers 202') or return diag($res->{content});
	is(status_now($t, $tok, $j->{execution_id}), 'completed', 'and its execution is completed by then');
	is_deeply(log_rows($t, $j->{execution_id}), ['sw|completed|1', 'b|completed|1', 'out|completed|1'],
		'the route not taken did not run; each node logged once');

	logic_workflow($t, $tok, 'inlsync', { node_id => 'hook', component_type => 'trigger_webhook',
		config => { extra_config => { path => 'inline-sync', mode => 'sync', max_wait_seconds => 5 } } }) or return;
	SKIP: {
		skip 'no nchan: synchronous mode answers as asynchronous mode', 5 unless $NCHAN;
		($res, $j) = deliver($t, 'inline-sync', '{"text": "y"}', { 'X-Webhook-Id' => 'inline-1' });
		is($res->{status}, 200, 'a synchronous webhook answers 200 with no executor in the pool') or diag($res->{content});
		is($j->{status}, 'completed', 'status completed');
		is($j->{output}, 'y: done', "the reply's output is the answer");
		like($res->{headers}{'content-type'} // '', qr{^application/json}, 'as JSON');
		my ($res2, $j2) = deliver($t, 'inline-sync', '{"text": "y"}', { 'X-Webhook-Id' => 'inline-1' });
		is_deeply([$res2->{status}, $j2], [200, $j], 'a repeated delivery answers the same result')
			or diag($res2->{content});
	}
}

# trigger -> switch -> wait 1 s -> reply: the switch runs in the trigger's
# transaction, the reply after the wait in an executor.
sub start_mixed {
	my ($t, $tok) = @_;
	build_workflow($t, $tok, 'inlmixed', [{ node_id => 'start', component_type => 'trigger_manual' },
		{ node_id => 'sw', component_type => 'switch', config => { extra_config => { rules => [
			{ id => 'y', field => 'trigger.text', operator => 'equals', value => 'y' },
			{ id => 'n', field => 'trigger.text', operator => 'equals', value => 'n' }] } } },
		{ node_id => 'w', component_type => 'wait', config => { extra_config => { duration => 1, unit => 'seconds' } } },
		reply('r', 'after the wait')],
		[['start', 'sw'], ['sw', 'w', { edge_type => 'conditional', condition_value => 'y' }], ['w', 'r']]) or return;
	my ($res, $j) = api($t, $tok, 'POST', 'workflows/inlmixed/execute/', { text => 'y' });
	is($res->{status}, 200, 'execute answers 200') or return diag($res->{content});
	my $id = $j->{execution_id};
	is(status_now($t, $tok, $id), 'running', 'with a delayed wait the execution is still running');
	is_deeply(log_rows($t, $id), ['sw|completed|1', 'w|completed|1'], 'its logic part ran in the trigger');
	is($t->db_query("SELECT node_id FROM execution_jobs WHERE execution_id = '$id'"), 'r',
		"the wait's successor is queued for the executors");
	return $id;
}

sub finish_mixed {
	my ($t, $id) = @_;
	my $row = wait_execution($t, $id);
	is($row->{status}, 'completed', 'an executor completes it') or diag($t->log_tail);
	is_deeply(log_rows($t, $id), ['sw|completed|1', 'w|completed|1', 'r|completed|1'],
		'every node logged once: the logic part is not run again');
}

# Each responder keeps the workflows its triggers started, checked against
# the workflow's revision as the execution is written (doc/engine.md,
# "Inline runs"): after an edit, a deactivation or a delete, no trigger
# runs what was there before, whichever responder takes it.
sub test_edits {
	my ($t, $tok) = @_;
	build_workflow($t, $tok, 'edits', [{ node_id => 'start', component_type => 'trigger_manual' },
		reply('out', '{{ trigger.text }}: v1')], [['start', 'out']]) or return;
	# 16 runs: every responder of the pool takes some of them.
	my $versions = sub {
		my %seen;
		for my $i (1 .. 16) {
			my ($res, $j) = api($t, $tok, 'POST', 'workflows/edits/execute/', { text => "r$i" });
			return "($res->{status})" unless $res->{status} == 200;
			my $out = decode_json(execution_row($t, $j->{execution_id})->{output} // 'null');
			my $text = ref $out eq 'HASH' ? $out->{output} // '' : '';
			$seen{$text =~ /^r$i: (\w+)$/ ? $1 : "'$text'"}++;
		}
		return join ',', sort keys %seen;
	};
	my $count = sub { $t->db_query("SELECT count(*) FROM workflow_executions e JOIN workflows w " .
				       "ON w.id = e.workflow_id WHERE w.slug = 'edits'") };
	is($versions->(), 'v1', 'sixteen runs, each of the first version');
	my ($res) = api($t, $tok, 'PATCH', 'workflows/edits/nodes/out/',
			{ config => { extra_config => { message => '{{ trigger.text }}: v2' } } });
	is($res->{status}, 200, 'the reply is edited') or return diag($res->{content});
	is($versions->(), 'v2', 'every run after the edit is of the new version');
	# The first run after an edit meets a stale entry in whichever
	# responder takes it; with a key, it is still one execution.
	($res) = api($t, $tok, 'PATCH', 'workflows/edits/nodes/out/',
		     { config => { extra_config => { message => '{{ trigger.text }}: v3' } } });
	is($res->{status}, 200, 'edited again') or return diag($res->{content});
	my @keyed = map {
		my $r = $t->request('POST', '/api/v1/workflows/edits/execute/', { content => { text => 'k' },
			headers => { %{ bearer($tok) }, 'Idempotency-Key' => 'edits-key-1' } });
		[$r->{status}, ($t->json($r) // {})->{execution_id} // '']
	} 1 .. 2;
	is_deeply([map { $_->[0] } @keyed], [200, 200], 'a keyed run after the edit, and its replay: 200');
	is($keyed[1][1], $keyed[0][1], 'the replay names the same execution');
	is_deeply(decode_json(execution_row($t, $keyed[0][1])->{output} // 'null'), { output => 'k: v3' },
		  'which ran the new version');
	($res) = api($t, $tok, 'PATCH', 'workflows/edits/', { is_active => JSON::PP::false });
	is($res->{status}, 200, 'the workflow is deactivated') or return diag($res->{content});
	my $before = $count->();
	my %codes;
	for (1 .. 8) {
		($res) = api($t, $tok, 'POST', 'workflows/edits/execute/', { text => 'x' });
		$codes{$res->{status}}++;
	}
	is_deeply(\%codes, { 404 => 8 }, 'an inactive workflow: 404 from every responder');
	is($count->(), $before, 'and no execution was started');
	($res) = api($t, $tok, 'PATCH', 'workflows/edits/', { is_active => JSON::PP::true });
	is($versions->(), 'v3', 'active again: it runs');
	($res) = api($t, $tok, 'DELETE', 'workflows/edits/');
	is($res->{status}, 204, 'the workflow is deleted') or return diag($res->{content});
	%codes = ();
	for (1 .. 8) {
		($res) = api($t, $tok, 'POST', 'workflows/edits/execute/', { text => 'x' });
		$codes{$res->{status}}++;
	}
	is_deeply(\%codes, { 404 => 8 }, 'a deleted workflow: 404 from every responder');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url, executors => 0,
		name => 'the stack starts with no executor') or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	subtest execute => sub { test_execute($t, $alice) };
	subtest chat => sub { test_chat($t, $alice) };
	subtest webhooks => sub { test_webhooks($t, $alice) };
	subtest edits => sub { test_edits($t, $alice) };
	my $mixed;
	subtest mixed_queued => sub { $mixed = start_mixed($t, $alice) };
	$t->{executors} = 1;
	ok($t->restart, 'the pool restarts with an executor') or return;
	subtest mixed_completes => sub { finish_mixed($t, $mixed) } if $mixed;
	$t->stop;
});

done_testing;
