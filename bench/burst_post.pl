#!/usr/bin/perl
# burst_post.pl N URL BODY [HEADER...]: N clients POST BODY to URL at once.
#
# Every client connects first; only then are the N requests written, one
# after another, as fast as the loop can (well under a millisecond each).
# What follows is the server's work alone: a client tool that opens its
# connections as it goes (curl --parallel here needs 100 ms and more for
# 200) would add its own start-up to every figure.  Each request says
# "Connection: close", so an answer ends where its connection does.
#
# Prints "t0_us T0 t1_us T1" (the wall clock, in microseconds, just before
# the first request was written and when the last answer had ended), then
# one HTTP status per request ("000" when none came within 120 s).
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(time);

my ($n, $url, $body, @headers) = @ARGV;
die "usage: burst_post.pl N URL BODY [HEADER...]\n" unless $n && $url && defined $body;
my ($host, $port, $path) = $url =~ m{^http://([^/:]+):(\d+)(/.*)$}
	or die "burst_post.pl: only http://HOST:PORT/PATH URLs\n";

my $request = "POST $path HTTP/1.1\r\nHost: $host:$port\r\nConnection: close\r\n"
	. "Content-Type: application/json\r\nContent-Length: " . length($body) . "\r\n"
	. join('', map { "$_\r\n" } @headers) . "\r\n$body";

my @socks;
for (1 .. $n) {
	my $s = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, Proto => 'tcp')
		or die "burst_post.pl: connect $host:$port: $!\n";
	push @socks, $s;
}

my $t0 = time;
for my $s (@socks) {
	my $off = 0;
	while ($off < length $request) {
		my $w = syswrite($s, $request, length($request) - $off, $off);
		die "burst_post.pl: write: $!\n" unless defined $w;
		$off += $w;
	}
}

my %answer = map { (fileno($_) => '') } @socks;
my $sel = IO::Select->new(@socks);
my $deadline = time + 120;
my $t1 = $t0;
while ($sel->count && time < $deadline) {
	for my $s ($sel->can_read(1)) {
		my $got = sysread($s, my $buf, 65536);
		if ($got) {
			$answer{fileno $s} .= $buf;
			next;
		}
		$sel->remove($s);
		$t1 = time;
	}
}

printf "t0_us %.0f t1_us %.0f\n", $t0 * 1e6, $t1 * 1e6;
for my $s (@socks) {
	my ($status) = $answer{fileno $s} =~ m{^HTTP/1\.[01] (\d{3})};
	print(($status // '000'), "\n");
	close $s;
}
