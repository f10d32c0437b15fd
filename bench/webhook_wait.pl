#!/usr/bin/perl
# webhook_wait.pl: how the API answers while synchronous webhook callers
# wait (doc/webhooks.md, "How a synchronous wait holds no responder").
#
# Starts a stack of the build (as the tests do: nginx with nchan, SQLite),
# a workflow webhook(sync) -> wait 2 s -> reply, then N callers (default
# 200) at once; while they wait, requests GET /health and
# GET /api/v1/workflows/ one after another and reports their latency
# (p50, p99, max), then when the callers got their answers and how many
# were 200 with their own output.  Run from the build directory:
#   PIPELIT_BIN=$PWD/pipelit PIPELIT_SRCDIR=.. perl -I../t/lib ../bench/webhook_wait.pl [N]
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use JSON::PP;
use Time::HiRes qw(time);
use Test::More;    # PipelitTest reports through it
use PipelitTest;
use PipelitAuth;
use PipelitEngine;

my $n = $ARGV[0] // 200;
my $t = PipelitTest->started() or die "stack did not start\n";
my $tok = make_user($t, 'bench', 'bench-pass-1', 'normal') or die;
build_workflow($t, $tok, 'slow', [
	{ node_id => 'hook', component_type => 'trigger_webhook',
	  config => { extra_config => { path => 'slow', mode => 'sync', max_wait_seconds => 120 } } },
	{ node_id => 'w', component_type => 'wait', config => { extra_config => { duration => 2, unit => 'seconds' } } },
	{ node_id => 'r', component_type => 'reply_chat', config => { extra_config => { message => 'done {{ trigger.text }}' } } },
], [['hook', 'w'], ['w', 'r']]) or die;

my $t0 = time;
my @socks;
for my $i (1 .. $n) {
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port) or die "connect: $!";
	my $body = qq({"text": "c$i"});
	print $s "POST /api/v1/webhooks/slow HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/json\r\n"
		. "Content-Length: " . length($body) . "\r\n\r\n$body";
	push @socks, $s;
}
my $sent = time - $t0;

my (@health, @list);
my $until = $t0 + 1.8;    # inside the callers' 2 s wait
while (time < $until) {
	my $a = time;
	$t->get('/health');
	push @health, (time - $a) * 1000;
	$a = time;
	api($t, $tok, 'GET', 'workflows/');
	push @list, (time - $a) * 1000;
}

my (%buf, %done);
my $sel = IO::Select->new(@socks);
while ($sel->count && time < $t0 + 150) {
	for my $s ($sel->can_read(1)) {
		my $got = sysread($s, my $chunk, 65536);
		if ($got) { $buf{ fileno $s } .= $chunk; next }
		$done{ fileno $s } = time - $t0;
		$sel->remove($s);
	}
}
my $good = 0;
for my $i (0 .. $#socks) {
	my $text = $buf{ fileno $socks[$i] } // '';
	my ($json) = $text =~ /\r\n\r\n(.*)\z/s;
	my $j = eval { decode_json($json // '') } // {};
	$good++ if $text =~ m{^HTTP/1\.\d 200} && ($j->{output} // '') eq 'done c' . ($i + 1);
}

sub pct {
	my ($p, @v) = @_;
	@v = sort { $a <=> $b } @v;
	return @v ? $v[int($p * $#v + 0.5)] : 0;
}
my @fin = sort { $a <=> $b } values %done;
printf "# %d synchronous callers sent in %.0f ms; %d answered 200 with their own output\n",
	$n, $sent * 1000, $good;
printf "# callers answered after: first %.2f s, median %.2f s, last %.2f s (the wait node takes 2 s)\n",
	$fin[0] // 0, pct(0.5, @fin), $fin[-1] // 0;
printf "# while they waited: GET /health x%d p50 %.1f ms p99 %.1f ms max %.1f ms\n",
	scalar @health, pct(0.5, @health), pct(0.99, @health), pct(1, @health);
printf "# while they waited: GET /api/v1/workflows/ x%d p50 %.1f ms p99 %.1f ms max %.1f ms\n",
	scalar @list, pct(0.5, @list), pct(0.99, @list), pct(1, @list);
close $_ for @socks;
done_testing();
