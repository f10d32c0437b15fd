# The trigger writer (engine/trigger_relay.h): the pool's child that
# commits the triggers of this host's processes together.
#  - it runs, listed by /status, its socket private to the pool's user;
#  - many webhook callers at once each get their own execution, committed
#    and run, and the writer counts them;
#  - a synchronous webhook's answer comes back through it, and so do the
#    execute and chat endpoints' starts without an Idempotency-Key;
#  - SIGKILLed while callers keep coming: every 202 names an execution that
#    exists and runs, none runs twice, other answers are 503 with
#    Retry-After, and the master starts a new writer that takes over;
#  - PIPELIT_TRIGGER_WRITER=0: no writer, and triggers work as before;
#  - PostgreSQL: a trigger the writer cannot commit (another session holds
#    a lock on the executions past lock_timeout) is the caller's 503 with
#    Retry-After, nothing is stored, and the same delivery succeeds once
#    the lock is gone (07-db-errors.t does the same on SQLite).
# Both backends.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use HTTP::Tiny;
use IPC::Open2;
use PipelitTest;
use PipelitAuth;
use PipelitEngine;

need_nginx();

sub webhook_workflow {
	my ($t, $tok, $slug, $path, %cfg) = @_;
	return build_workflow($t, $tok, $slug,
		[ { node_id => 'hook', component_type => 'trigger_webhook',
		    config => { extra_config => { path => $path, %cfg } } },
		  { node_id => 'r', component_type => 'reply_chat',
		    config => { extra_config => { message => 'got {{ trigger.text }}' } } } ],
		[ [ 'hook', 'r' ] ]);
}

sub writer_pids {
	my ($t) = @_;
	return grep { PipelitTest::cmdline($_) =~ /trigger writer/ } $t->child_pids;
}

# The writer's entry in /status, or undef.
sub writer_status {
	my ($t) = @_;
	my $s = $t->json($t->get('/status')) // {};
	my ($w) = grep { $_->{role} eq 'triggers' } @{ $s->{children} // [] };
	return $w;
}

sub socket_path {
	my ($t) = @_;
	return $t->db_url =~ m{^sqlite:///(.*)$} ? "$1-triggers" : $t->env->{PIPELIT_DATA_DIR} . '/triggers.sock';
}

# $n callers at once, each delivering $each times to $path; every answer
# as "status execution_id retry_after" lines.
sub deliver_from_many {
	my ($t, $n, $each, $path, $during) = @_;
	my $out = $t->dir . '/answers.' . random_name();
	mkdir $out;
	my $url = $t->url("/api/v1/webhooks/$path");
	my @pids;
	for my $i (0 .. $n - 1) {
		my $pid = fork // die "fork: $!";
		if ($pid == 0) {
			my $http = HTTP::Tiny->new(timeout => 60);
			open my $fh, '>', "$out/$i" or POSIX::_exit(1);
			for my $k (1 .. $each) {
				my $res = $http->post($url, { content => encode_json({ text => "c$i-$k" }),
					headers => { 'Content-Type' => 'application/json' } });
				my $j = eval { decode_json($res->{content}) } // {};
				printf $fh "%d %s %s\n", $res->{status}, $j->{execution_id} // '-',
					$res->{headers}{'retry-after'} // '-';
			}
			close $fh;
			POSIX::_exit(0);
		}
		push @pids, $pid;
	}
	$during->() if $during;
	PipelitTest::wait_child($_, 300) for @pids;
	my @answers;
	for my $i (0 .. $n - 1) {
		open my $fh, '<', "$out/$i" or next;
		push @answers, map { chomp; [ split / / ] } <$fh>;
	}
	return @answers;
}

sub count_executions {
	my ($t, $slug) = @_;
	return $t->db_query("SELECT count(*) FROM workflow_executions e JOIN workflows w "
		. "ON w.id = e.workflow_id WHERE w.slug = '$slug'");
}

sub test_writer_serves {
	my ($t, $tok) = @_;
	my (@w, $st);
	# A child just forked has the master's title, and its socket comes
	# once it has opened the database.
	wait_until(10, sub { @w = writer_pids($t); $st = writer_status($t); @w && $st && -S socket_path($t) });
	is(scalar @w, 1, 'the pool runs one trigger writer');
	ok($st, '/status lists it, role "triggers"') or return;
	my @s = stat(socket_path($t));
	ok(@s && -S _, 'its socket is where every process of the host finds it');
	is(sprintf('%o', $s[2] & 07777), '600', 'readable and writable by the pool user only') if @s;

	webhook_workflow($t, $tok, 'many', 'many-callers') or return;
	my $before = $st->{requests};
	my @answers = deliver_from_many($t, 16, 8, 'many-callers');
	is(scalar @answers, 128, '128 deliveries answered');
	is(scalar(grep { $_->[0] == 202 } @answers), 128, 'each with 202');
	my %ids = map { $_->[1] => 1 } @answers;
	is(scalar keys %ids, 128, 'each naming an execution of its own');
	is(count_executions($t, 'many'), 128, 'and 128 executions are stored');
	my $done = $t->db_query("SELECT count(*) FROM workflow_executions WHERE status = 'completed' "
		. "AND CAST(final_output AS TEXT) LIKE '%got c%'");
	is($done, 128, 'all of them ran to their end with their own payload');
	cmp_ok(writer_status($t)->{requests} - $before, '>=', 128, 'the writer committed them');
	my $s = $t->json($t->get('/status')) // {};
	my $responded = 0;
	$responded += $_->{requests} for grep { $_->{role} eq 'responder' } @{ $s->{children} // [] };
	cmp_ok($s->{requests}, '<=', $responded + 1000, 'the totals count requests, not triggers twice')
		if defined $s->{requests};

	webhook_workflow($t, $tok, 'syncwf', 'sync-through', mode => 'sync') or return;
	my $res = $t->request('POST', '/api/v1/webhooks/sync-through',
		{ content => '{"text": "now"}', headers => { 'Content-Type' => 'application/json' } });
	is($res->{status}, 200, 'a synchronous webhook answers 200 through the writer') or diag($res->{content});
	like($res->{content}, qr/got now/, 'with the workflow output');
}

sub test_writer_killed {
	my ($t, $tok, $backend) = @_;
	webhook_workflow($t, $tok, 'killed', 'writer-killed') or return;
	my ($old) = writer_pids($t);
	ok($old, 'a writer runs') or return;
	my @answers = deliver_from_many($t, 8, 25, 'writer-killed', sub {
		sleep 0.3;
		kill 'KILL', $old;
	});
	is(scalar @answers, 200, 'every delivery was answered');
	my @ok = grep { $_->[0] == 202 } @answers;
	my @other = grep { $_->[0] != 202 } @answers;
	ok(!grep({ $_->[0] != 503 || $_->[2] eq '-' } @other), 'any other answer is a 503 with Retry-After')
		or diag(join ', ', map { $_->[0] } @other);
	my $stored = count_executions($t, 'killed');
	my %ids = map { $_->[1] => 1 } @ok;
	is(scalar keys %ids, scalar @ok, 'each 202 names an execution of its own');
	my $list = join ',', map { "'$_'" } keys %ids;
	is($t->db_query("SELECT count(*) FROM workflow_executions WHERE execution_id IN ($list)"),
		scalar @ok, 'every execution a caller was told of is stored');
	if ($backend eq 'sqlite') {
		is($stored, scalar @ok, 'and nothing else: no delivery ran twice');
	} else {
		# A 503 said the outcome was unknown: its execution may exist.
		cmp_ok($stored, '<=', scalar(@ok) + scalar(@other), 'no delivery ran twice');
	}
	my $unfinished;
	wait_until(30, sub {
		$unfinished = $t->db_query("SELECT count(*) FROM workflow_executions e JOIN workflows w "
			. "ON w.id = e.workflow_id WHERE w.slug = 'killed' AND e.status <> 'completed'");
		defined $unfinished && $unfinished == 0;
	});
	is($unfinished, 0, 'all of them completed');
	my $new;
	wait_until(15, sub { ($new) = writer_pids($t); $new && $new != $old });
	ok($new && $new != $old, 'the master started a new writer');
	my $before = (writer_status($t) // {})->{requests} // 0;
	my @after = deliver_from_many($t, 4, 5, 'writer-killed');
	is(scalar(grep { $_->[0] == 202 } @after), 20, 'deliveries after it answer 202');
	cmp_ok((writer_status($t) // {})->{requests} // 0, '>=', $before + 20, 'through the new writer');
}

sub test_execute_and_chat {
	my ($t, $tok) = @_;
	build_workflow($t, $tok, 'handrun',
		[ { node_id => 'start', component_type => 'trigger_manual' },
		  { node_id => 'talk', component_type => 'trigger_chat' },
		  { node_id => 'r', component_type => 'reply_chat',
		    config => { extra_config => { message => 'said {{ trigger.text }}' } } } ],
		[ [ 'start', 'r' ], [ 'talk', 'r' ] ]) or return;
	my $before = (writer_status($t) // {})->{requests} // 0;
	my ($res, $j) = api($t, $tok, 'POST', 'workflows/handrun/execute/', { text => 'by hand' });
	is($res->{status}, 200, 'execute without a key answers 200') or diag($res->{content});
	is_deeply(decode_json(wait_execution($t, $j->{execution_id} // 'none')->{output} || 'null'),
		{ output => 'said by hand' }, 'its execution ran');
	($res, $j) = api($t, $tok, 'POST', 'workflows/handrun/chat/', { text => 'hello' });
	is($res->{status}, 200, 'chat without a key answers 200') or diag($res->{content});
	is(wait_execution($t, $j->{execution_id} // 'none')->{status}, 'completed', 'its execution ran');
	cmp_ok((writer_status($t) // {})->{requests} // 0, '>=', $before + 2, 'both through the writer');
	my $key = { %{ PipelitAuth::bearer($tok) }, 'Idempotency-Key' => 'hand-1' };
	my @ids = map {
		my $r = $t->request('POST', '/api/v1/workflows/handrun/execute/',
			{ content => { text => 'keyed' }, headers => $key });
		($t->json($r) // {})->{execution_id} // 'none';
	} 1 .. 2;
	is($ids[1], $ids[0], 'with a key, a repeat answers the first execution (its own transaction)');
}

# PostgreSQL: the writer's database error reaches the caller as its own.
sub test_writer_db_error {
	my ($t, $tok) = @_;
	webhook_workflow($t, $tok, 'locked', 'locked-hook') or return;
	my $deliver = sub {
		return $t->request('POST', '/api/v1/webhooks/locked-hook',
			{ content => '{"text":"x"}', headers => { 'Content-Type' => 'application/json' } });
	};
	# Another session locks the executions' table and keeps the lock
	# until told: the writer's INSERT waits its lock_timeout and fails.
	my $pid = open2(my $out, my $in, 'psql', '-X', '-q', '-At', '-d', $t->db_url);
	print $in "BEGIN;\nLOCK TABLE workflow_executions IN ACCESS EXCLUSIVE MODE;\nSELECT 'held';\n";
	$in->flush;
	my $line = <$out> // '';
	is($line, "held\n", 'another session holds a lock on the executions');
	my $before = (writer_status($t) // {})->{requests} // 0;
	my $res = $deliver->();
	is($res->{status}, 503, 'a webhook whose trigger the writer cannot commit gets 503');
	like($res->{headers}{'retry-after'} // '', qr/^\d+$/, 'with Retry-After');
	like(($t->json($res) // {})->{detail} // '', qr/busy/i, 'the detail says the database is busy');
	is((writer_status($t) // {})->{requests} // 0, $before, 'the writer counted no trigger');
	print $in "ROLLBACK;\n\\q\n";
	close $in;
	waitpid($pid, 0);
	is($t->db_query("SELECT count(*) FROM workflow_executions e JOIN workflows w "
		. "ON w.id = e.workflow_id WHERE w.slug = 'locked'"), 0, 'nothing was stored');
	$res = $deliver->();
	is($res->{status}, 202, 'with the lock gone, the same delivery is accepted');
	my $id = ($t->json($res) // {})->{execution_id};
	is(wait_execution($t, $id // 'none')->{status}, 'completed', 'and its execution completes');
	# The writer counts a batch just after answering it.
	ok(wait_until(10, sub { ((writer_status($t) // {})->{requests} // 0) > $before }),
		'through the writer');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url) or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	subtest writer_serves => sub { test_writer_serves($t, $alice) };
	subtest execute_and_chat => sub { test_execute_and_chat($t, $alice) };
	subtest writer_killed => sub { test_writer_killed($t, $alice, $backend) };
	$t->stop;

	if ($backend eq 'postgresql') {
		# A lock_timeout of 1 s (half the query timeout).
		my $pg = PipelitTest->started(db_url => $db_url,
			env => { PIPELIT_DB_QUERY_TIMEOUT_SECONDS => 2 }) or return;
		my $bob = make_user($pg, 'bob', 'bob-pass-1', 'normal') or return;
		subtest writer_db_error => sub { test_writer_db_error($pg, $bob) };
		$pg->stop;
		return;
	}
	my $dir = $t->dir;
	my $off = PipelitTest->started(db_url => $db_url,
		env => { PIPELIT_TRIGGER_WRITER => 0 }) or return;
	subtest without_writer => sub {
		is(scalar writer_pids($off), 0, 'PIPELIT_TRIGGER_WRITER=0: no writer');
		ok(!writer_status($off), 'none listed by /status');
		my @answers = deliver_from_many($off, 4, 5, 'many-callers');
		is(scalar(grep { $_->[0] == 202 } @answers), 20, 'webhooks answer 202 all the same');
		is(count_executions($off, 'many'), 148, 'and their executions are stored');
	};
});

done_testing();
