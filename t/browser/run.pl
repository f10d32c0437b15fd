#!/usr/bin/perl
# run.pl SCENARIO.mjs: runs one browser scenario (t/browser/README.md).
# make check runs every t/browser/*.mjs through this (MJS_LOG_COMPILER).
#
# It starts a real stack with t/lib/PipelitTest.pm: nginx (with nchan when
# installed) serving the built UI ($(builddir)/www) in front of `pipelit
# serve` on SQLite, and, when the scenario has a line `// uses: llm`, the
# LLM double (t/lib/FakeLLM.pm).  Then it runs `node SCENARIO.mjs`, whose
# TAP is the test's output, with the stack described in its environment
# (t/browser/lib.mjs reads it).  Everything started is stopped afterwards.
#
# Without node, playwright-core (npm ci in www/), Debian's chromium or a
# built UI the scenario SKIPs and says which one is missing.
#
# Environment: PIPELIT_BROWSER_TIMEOUT (seconds for one scenario, 300),
# PIPELIT_CHROMIUM (the browser, /usr/bin/chromium), PIPELIT_ARTIFACTS_DIR
# (screenshots; default $(builddir)/t/browser/artifacts), and PipelitTest's.
use strict;
use warnings;

use File::Basename qw(basename dirname);
use File::Path qw(make_path remove_tree);
use File::Spec;
use POSIX qw(WNOHANG);
use Test::More ();
use PipelitTest;
use FakeLLM;

# Our TAP is the scenario's: Test::More (loaded by PipelitTest) says nothing.
Test::More->builder->no_header(1);
Test::More->builder->no_ending(1);
$| = 1;

my $scenario = File::Spec->rel2abs(shift // die "usage: run.pl SCENARIO.mjs\n");
my $name = basename($scenario, '.mjs');
my $text = PipelitTest::slurp($scenario);
my $chromium = $ENV{PIPELIT_CHROMIUM} // '/usr/bin/chromium';
my $modules = srcdir() . '/www/node_modules';

sub skip_all { print "1..0 # SKIP $_[0]\n"; exit 0 }

sub node_major {
	my ($rc, $out) = run_command(cmd => ['node', '--version'], timeout => 30);
	return $rc == 0 && $out =~ /^v(\d+)\./ ? $1 : 0;
}

skip_all('nginx is not installed (apt-get install nginx-light)') unless -x '/usr/sbin/nginx';
skip_all('pipelit is not built (set PIPELIT_BIN)') unless -x pipelit_bin();
skip_all('node is not installed (apt-get install nodejs npm)') unless grep { -x "$_/node" } split /:/, $ENV{PATH} // '';
skip_all('node is older than 18') if node_major() < 18;
skip_all("playwright-core is not installed in $modules (npm is needed: make runs npm ci)")
	unless -f "$modules/playwright-core/package.json" && -f "$modules/axe-core/axe.min.js";
skip_all("chromium is not installed at $chromium (apt-get install chromium)") unless -x $chromium;
my $ui = PipelitTest::slurp(www_dir() . '/.ui-source');
skip_all('the UI is not built in ' . www_dir() . ' (' . ($ui =~ /^(\S.*)/ ? $1 : 'nothing there') . ')')
	unless $ui =~ /^(?:built|shipped)\b/;

my $artifacts = ($ENV{PIPELIT_ARTIFACTS_DIR} // dirname(pipelit_bin()) . '/t/browser/artifacts') . "/$name";
remove_tree($artifacts);
make_path($artifacts);

my $llm = $text =~ m{^//\s*uses:.*\bllm\b}m ? FakeLLM->start : undef;

# The LLM double listens on loopback, which the outbound policy refuses
# unless allowed.
my $t = PipelitTest->new(responders => 2, executors => 1,
	($llm ? (env => { PIPELIT_OUTBOUND_ALLOW => '127.0.0.1' }) : ()));
unless ($t->start) {
	print "1..1\nnot ok 1 - the stack starts (nginx and pipelit serve)\n";
	print map { "# $_\n" } split /\n/, $t->log_tail;
	exit 1;
}

my %env = (%{ $t->env },
	PIPELIT_URL => $t->url(''),
	PIPELIT_SCENARIO => $name,
	PIPELIT_ARTIFACTS => $artifacts,
	PIPELIT_SRCDIR => srcdir(),
	PIPELIT_BIN => pipelit_bin(),
	PIPELIT_WWW_DIR => www_dir(),
	PIPELIT_STACK_DIR => $t->dir,
	PIPELIT_CHROMIUM => $chromium,
	($llm ? (PIPELIT_LLM_URL => $llm->url(''), PIPELIT_LLM_DIR => $llm->{dir}) : ()),
);

# node in a process group of its own, so whatever it leaves (a browser
# whose driver died) goes with it.
my $pid = fork // die "fork: $!";
if ($pid == 0) {
	setpgrp(0, 0);
	%ENV = %env;
	chdir $t->dir;
	exec 'node', $scenario or die "exec node: $!";
}
my $limit = $ENV{PIPELIT_BROWSER_TIMEOUT} // 300;
my $status = PipelitTest::wait_child($pid, $limit);
unless (defined $status) {
	print "not ok - the scenario did not finish in $limit s (PIPELIT_BROWSER_TIMEOUT)\n";
	$status = 124;
}
kill 'KILL', -$pid;
waitpid($pid, WNOHANG);
if ($status != 0) {
	print map { "# $_\n" } split /\n/, $t->log_tail(30);
	print "# screenshots: $artifacts\n";
}
$t->cleanup;
exit($status > 255 ? 1 : $status);
