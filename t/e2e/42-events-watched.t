# Live events go only to channels somebody can still receive
# (src/events/watch.h): a channel nobody subscribed to gets no publish at
# all (nginx's own channel information shows no such channel), while a
# subscriber that went away and reconnects with its Last-Event-ID within
# nginx's buffer time gets every event of the executions that ran
# meanwhile, on the workflow's channel and on the execution's.  Right
# after a restart an unwatched channel still gets nothing.  On PostgreSQL
# two pools share the database: a subscriber authorized through pool A,
# before pool B even started, sees the events of an execution that pool B
# ran, while pool B, just started, publishes nothing for an unwatched one.
use strict;
use warnings;
use Test::More;
use JSON::PP;
use IO::Socket::INET;
use Time::HiRes qw(sleep time);
use PipelitTest;
use PipelitAuth;
use PipelitEngine;
use PipelitEvents;

need_nginx();
plan skip_all => 'libnginx-mod-nchan is not installed'
	unless -f '/usr/lib/nginx/modules/ngx_nchan_module.so';
plan skip_all => 'curl is needed to ask nginx about its channels' unless -x '/usr/bin/curl';

sub reply { my ($id, $msg) = @_; return { node_id => $id, component_type => 'reply_chat', config => { extra_config => { message => $msg } } } }
sub trigger { return { node_id => 'start', component_type => 'trigger_manual' } }

# An EventSource subscription that resumes after $last_id; the socket.
sub resume {
	my ($t, $url, $last_id) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port, Timeout => 5) or return;
	print $s "GET $url HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\nLast-Event-ID: $last_id\r\n\r\n";
	return $s;
}

# On PostgreSQL a host counts as listening for the other hosts' marks once
# its executors have read them (src/engine/watch_listen.h): waits until $t's
# log says so $n times in all (every executor start logs it once).
sub wait_listening {
	my ($t, $n) = @_;
	return 1 unless $t->db_url =~ /^postgres/;
	return wait_until(60, sub { my @m = $t->log_text =~ /watched channels read/g; @m >= $n });
}

sub events_in { my ($text) = @_; return map { decode_json($_) } $text =~ /^data: (\{.*\})\s*$/mg }

sub approval_workflow {
	my ($t, $tok, $slug) = @_;
	return build_workflow($t, $tok, $slug, [trigger(), reply('pre', 'before'),
		{ node_id => 'ok', component_type => 'human_confirmation', config => { extra_config => { prompt => 'Go?' } } },
		reply('yes', 'after')], [['start', 'pre'], ['pre', 'ok'], ['ok', 'yes']]);
}

sub test_unwatched {
	my ($t, $tok) = @_;
	build_workflow($t, $tok, 'quiet', [trigger(), reply('r', 'hello')], [['start', 'r']]) or return;
	my $id = run_workflow($t, 'quiet') or return;
	is(wait_execution($t, $id)->{status}, 'completed', 'an execution nobody watches completes');
	is($t->held_messages('workflow:quiet'), 0, 'nothing was published on its workflow channel');
	is($t->held_messages("execution:$id"), 0, 'nor on its execution channel');
	my $res = $t->post('/api/v1/_test/publish/', { channel => 'workflow:quiet', type => 'node_updated', data => {} });
	is($res->{status}, 200, "a responder's publish on a channel nobody watches succeeds");
	is($t->held_messages('workflow:quiet'), 0, 'and sends nothing to nginx');

	# Once somebody subscribed, the same workflow's events are published.
	my (undef, $tk) = ticket($t, $tok, 'workflow:quiet');
	my ($status, $s) = subscribe($t, $tk->{url});
	is($status, 200, 'a subscriber on the workflow channel') or return;
	$id = run_workflow($t, 'quiet') or return;
	my @ev = events_in(read_until($s, qr/"execution_completed"/, 10));
	close $s;
	is(scalar(grep { $_->{type} eq 'execution_completed' && $_->{execution_id} eq $id } @ev), 1,
		'the subscriber hears the next execution complete');
	ok($t->held_messages('workflow:quiet') >= 4, 'nginx now holds its events');
	is($t->held_messages("execution:$id"), 0, 'its execution channel, never subscribed, got nothing');
}

sub test_reconnect {
	my ($t, $tok) = @_;
	approval_workflow($t, $tok, 'away') or return;
	my (undef, $wtk) = ticket($t, $tok, 'workflow:away');
	my ($status, $ws) = subscribe($t, $wtk->{url});
	is($status, 200, 'subscribed to the workflow channel') or return;
	my $id = run_workflow($t, 'away') or return;
	my $text = read_until($ws, qr/"execution_interrupted"/, 10);
	close $ws;
	my @seen = grep { $_->{execution_id} eq $id } events_in($text);
	my ($last_id) = ($text =~ /^id: (\S+)\s*$/mg)[-1];
	ok($last_id && @seen && $seen[-1]{type} eq 'execution_interrupted',
		'heard the execution wait for a confirmation, then went away') or return diag($text);
	my $last_seq = $seen[-1]{seq};

	# The execution channel: subscribed once, then gone too.
	my (undef, $etk) = ticket($t, $tok, "execution:$id");
	my $es;
	($status, $es) = subscribe($t, $etk->{url});
	is($status, 200, 'subscribed to the execution channel') or return;
	close $es;

	# While nobody is connected the execution goes on and ends, and a
	# second one runs to its wait.
	my ($res) = api($t, $tok, 'POST', "executions/$id/confirm/", { action => 'confirm' });
	is($res->{status}, 200, 'confirmed while the subscribers are away') or return;
	is(wait_execution($t, $id)->{status}, 'completed', 'the execution completes meanwhile');
	my $id2 = run_workflow($t, 'away') or return;
	is(wait_execution($t, $id2)->{status}, 'interrupted', 'a second execution runs meanwhile');

	(undef, $wtk) = ticket($t, $tok, 'workflow:away');
	$ws = resume($t, $wtk->{url}, $last_id) or return fail('reconnect');
	$text = read_until($ws, qr/"execution_interrupted".*"execution_id":"\Q$id2\E"|"execution_id":"\Q$id2\E".*"execution_interrupted"/, 10);
	close $ws;
	my @back = events_in($text);
	my @first = grep { $_->{execution_id} eq $id } @back;
	is_deeply([map { $_->{seq} } @first], [$last_seq + 1 .. $last_seq + scalar @first],
		'the workflow channel replays the first execution from where the subscriber left');
	is(@first ? $first[-1]{type} : '', 'execution_completed', '... up to its completion') or diag($text);
	my @second = grep { $_->{execution_id} eq $id2 } @back;
	is_deeply([map { $_->{seq} } @second], [1 .. scalar @second], 'and every event of the second execution');
	is(@second ? $second[-1]{type} : '', 'execution_interrupted', '... up to its wait');

	(undef, $etk) = ticket($t, $tok, "execution:$id");
	$es = resume($t, $etk->{url}, '1:0') or return fail('reconnect');
	$text = read_until($es, qr/"execution_completed"/, 10);
	close $es;
	my @exec = grep { $_->{execution_id} eq $id && defined $_->{seq} } events_in($text);
	is_deeply([map { $_->{seq} } @exec], [map { $_->{seq} } @first],
		'the execution channel kept every event published after its subscriber came');
	is(scalar(grep { ($_->{channel} // '') eq 'workflow:away' } @exec), scalar @exec,
		'one message serves both channels: it names the workflow channel on both');
	api($t, $tok, 'POST', "executions/$id2/cancel/", {});
}

# Two pools on one database, publishing to pool A's nginx (one nginx
# shared by two hosts); pool A has no executor, so pool B runs everything.
# The subscriber comes through pool A before pool B starts: pool B learns
# of it from the database, not from a NOTIFY it was not there to hear.
sub test_cross_host {
	my ($db_url) = @_;
	my %env = (EVENT_TICKET_SECONDS => 30, EVENT_BUFFER_SECONDS => 60);
	my $a = PipelitTest->started(db_url => $db_url, executors => 0, env => \%env, name => 'pool A starts') or return;
	my $tok = make_user($a, 'carol', 'carol-pass-1', 'normal') or return;
	build_workflow($a, $tok, 'xhost', [trigger(), reply('r', 'from B')], [['start', 'r']]) or return;
	build_workflow($a, $tok, 'xquiet', [trigger(), reply('r', 'unheard')], [['start', 'r']]) or return;
	my (undef, $tk) = ticket($a, $tok, 'workflow:xhost');
	my ($status, $s) = subscribe($a, $tk->{url});
	is($status, 200, 'subscribed through pool A') or return;

	my $b = PipelitTest->started(db_url => $db_url,
		env => { %env, EVENTS_PUBLISH_URL => 'unix:' . $a->dir . '/nginx/publish/events.sock' },
		name => 'pool B starts after the subscription') or return;
	ok(wait_listening($b, 1), "pool B's executor listens for the watched channels") or return;

	# Pool A, with no executor listening, publishes every channel: what it
	# published while the workflow was built is already there.
	my $before = $a->held_messages('workflow:xquiet');
	my $id = run_workflow($b, 'xquiet') or return;
	is(wait_execution($b, $id)->{status}, 'completed', 'pool B runs an execution nobody watches');
	is($a->held_messages('workflow:xquiet'), $before, 'and, just started, publishes nothing for it');
	is($a->held_messages("execution:$id"), 0, 'nor on its execution channel');

	$id = run_workflow($b, 'xhost') or return;
	my @ev = grep { $_->{execution_id} eq $id } events_in(read_until($s, qr/"execution_completed"/, 10));
	close $s;
	is(@ev ? $ev[-1]{type} : '', 'execution_completed', "the earlier subscriber hears pool B's execution to its end");
	is_deeply([map { $_->{seq} } @ev], [1 .. scalar @ev], 'every event of it');
}

# Right after a restart, a channel nobody watches still gets nothing
# (PostgreSQL: no window in which a newly listening host publishes all).
sub test_restart {
	my ($t, $tok) = @_;
	build_workflow($t, $tok, 'later', [trigger(), reply('r', 'after the restart')], [['start', 'r']]) or return;
	ok($t->restart, 'the pool restarts') or return;
	ok(wait_listening($t, 2), 'its new executor listens for the watched channels') or return;
	my $id = run_workflow($t, 'later') or return;
	is(wait_execution($t, $id)->{status}, 'completed', 'an execution right after the restart completes');
	is($t->held_messages('workflow:later'), 0, 'nothing was published on its workflow channel');
	is($t->held_messages("execution:$id"), 0, 'nor on its execution channel');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my %env = (EVENT_TICKET_SECONDS => 5, EVENT_BUFFER_SECONDS => 30);
	my $t = PipelitTest->started(db_url => $db_url, env => \%env) or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	ok(wait_listening($t, 1), 'the executor listens for the watched channels') or return;
	subtest unwatched => sub { test_unwatched($t, $alice) };
	subtest reconnect => sub { test_reconnect($t, $alice) };
	subtest restart => sub { test_restart($t, $alice) };
	PipelitTest::stop_all();
	subtest cross_host => sub {
		plan skip_all => 'one host: SQLite' if $backend eq 'sqlite';
		test_cross_host($db_url);
	};
});

done_testing();
