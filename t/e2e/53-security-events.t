# Security finding 21: a live subscription is checked only when it
# connects, so it must not outlive its ticket by much: nginx ends every
# subscription after the ticket lifetime (nchan_subscriber_timeout =
# EVENT_TICKET_SECONDS, here 2 s), and the client reconnects with a fresh
# ticket.  A subscriber whose API key is revoked is disconnected and cannot
# come back: its old ticket has expired and the revoked key gets no new one.
use strict;
use warnings;
use Test::More;
use IO::Select;
use Time::HiRes qw(time);
use PipelitTest;
use PipelitAuth;
use PipelitEvents;

need_nginx();
plan skip_all => 'the nchan module is not installed'
	unless -f '/usr/lib/nginx/modules/ngx_nchan_module.so';

my $TICKET_SECONDS = 2;

# Reads from $s until the server closes it; true when it did within
# $seconds (a bound for a hung test, far above the ticket lifetime).
sub closed_by_server {
	my ($s, $seconds) = @_;
	my $sel = IO::Select->new($s);
	my $deadline = time + $seconds;
	while (time < $deadline) {
		next unless $sel->can_read(0.5);
		my $n = sysread($s, my $buf, 4096);
		return 1 if !defined $n || $n == 0;
	}
	return 0;
}

my $t = PipelitTest->started(env => { EVENT_TICKET_SECONDS => $TICKET_SECONDS }) or exit;
my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or exit;
my $wf = api_ok($t, $alice, 'POST', 'workflows/', { name => 'live' }, 201, 'a workflow');
my $channel = "workflow:$wf->{slug}";

my $key = make_key($t, $alice, 'the client');
ok($key && $key->{key}, 'a named API key') or exit;
my ($res, $j) = ticket($t, $key->{key}, $channel);
is($res->{status}, 200, 'a ticket for the key') or diag($res->{content});
my ($status, $s) = subscribe($t, $j->{url});
is($status, 200, 'subscribed');
$t->post('/api/v1/_test/publish/', { channel => $channel, type => 'node_created', data => { n => 1 } });
like(read_until($s, qr/^data: .*\n/m, 5), qr/"node_created"/, 'events arrive');

$res = $t->request('DELETE', "/api/v1/users/me/keys/$key->{id}", { headers => bearer($alice) });
ok($res->{status} == 204 || $res->{status} == 200, 'the key is revoked') or diag($res->{content});
ok(closed_by_server($s, 30), 'the subscription is ended by the server after the ticket lifetime');
close $s;

# A ticket is good until the second it names; wait until that has passed,
# with a second of margin for clocks read at different moments (the
# check failed twice, under load, one second after the expiry: under
# investigation, see the diagnostic below).
my ($expiry) = $j->{ticket} =~ /^\d+\.(\d+)\./;
wait_until(30, sub { time > $expiry + 2 });
my ($old_status, undef, $head) = subscribe($t, $j->{url});
isnt($old_status, 200, 'the old ticket no longer subscribes (expired)')
	or diag(sprintf("ticket %s (expiry %s), now %.3f, answer:\n%s", $j->{ticket}, $expiry, time, $head));
($res) = ticket($t, $key->{key}, $channel);
is($res->{status}, 401, 'and the revoked key gets no new ticket');

# A client that renews keeps receiving.
($res, $j) = ticket($t, $alice, $channel);
($status, $s) = subscribe($t, $j->{url});
is($status, 200, 'a fresh ticket subscribes again');
$t->post('/api/v1/_test/publish/', { channel => $channel, type => 'node_updated', data => { n => 2 } });
like(read_until($s, qr/"node_updated".*\n/, 5), qr/"node_updated"/, 'and receives');
close $s;

done_testing();
