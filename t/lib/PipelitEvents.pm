# Live-event helpers for end-to-end tests: a ticket from the API, an
# EventSource subscription through nginx, and reading the stream with a
# deadline.
package PipelitEvents;
use strict;
use warnings;
use Exporter 'import';
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time);
use PipelitAuth qw(bearer);

our @EXPORT = qw(ticket subscribe read_until);

# POST /api/v1/events/ticket/ for $channel; returns (response, decoded JSON).
sub ticket {
	my ($t, $token, $channel) = @_;
	my $res = $t->post('/api/v1/events/ticket/', { channel => $channel }, bearer($token));
	return ($res, $t->json($res));
}

# Opens an EventSource subscription to $path; returns (status, socket,
# the answer's head).
sub subscribe {
	my ($t, $path) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port, Timeout => 5)
		or return (0, undef);
	print $s "GET $path HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n";
	my $head = read_until($s, qr/\r\n\r\n/, 3);
	my ($status) = $head =~ m{^HTTP/1\.[01] (\d+)};
	return ($status // 0, $s, $head);
}

# Reads from $s until what was read matches $re, or $seconds pass.
sub read_until {
	my ($s, $re, $seconds) = @_;
	my $buf = '';
	my $sel = IO::Select->new($s);
	my $deadline = time + $seconds;
	while ($buf !~ $re) {
		my $left = $deadline - time;
		last if $left <= 0 || !$sel->can_read($left);
		my $n = sysread($s, $buf, 4096, length $buf);
		last unless $n;
	}
	return $buf;
}

1;
