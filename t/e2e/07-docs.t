#!/usr/bin/perl
# The test commands the docs print work as printed: every test file that
# `scripts/test.sh --help` and the README name exists, and the README's
# command that runs one test file directly passes, run verbatim from the
# repository root.
use strict;
use warnings;

use Test::More;
use PipelitTest;

my $src = srcdir();

# A test named in the docs is a file (t/e2e/*.t, t/lib/*.pm) or a unit
# test program built from t/unit/NAME.c.
sub test_file_exists {
	my ($path) = @_;
	return 1 if $path =~ /[*?]/ && glob("$src/$path");
	return -e "$src/$path" || ($path =~ m{^t/unit/} && -e "$src/$path.c");
}

sub named_test_files {
	my ($text) = @_;
	my %seen;
	return grep { !$seen{$_}++ } $text =~ m{\b(t/(?:e2e|unit|lib|quickstart)/[\w.*-]+)}g;
}

my ($status, $help) = run_command(cmd => ["$src/scripts/test.sh", '--help']);
is($status, 0, 'scripts/test.sh --help exits 0');
my @named = named_test_files($help);
ok(@named, 'scripts/test.sh --help names test files') or diag($help);
ok(test_file_exists($_), "scripts/test.sh --help names $_, which exists") for @named;

open my $fh, '<', "$src/README.md" or die "README.md: $!";
my $readme = do { local $/; <$fh> };
close $fh;
ok(test_file_exists($_), "the README names $_, which exists") for named_test_files($readme);

# The README's direct command: `PIPELIT_BIN=build/pipelit ... prove ...`.
my ($direct) = $readme =~ /`(PIPELIT_BIN=\S+ [^`]*\bprove [^`]*)`/;
ok($direct, "the README prints a command that runs one test file with prove")
	or done_testing(), exit;
my ($bin) = $direct =~ /PIPELIT_BIN=(\S+)/;
SKIP: {
	# It names the build in build/ (scripts/test.sh's); another build
	# directory (an ASan build) cannot run it as printed.
	skip("the README's command needs $src/$bin", 2) unless -x "$src/$bin";
	my %env = %ENV;
	delete @env{qw(PIPELIT_BIN PIPELIT_SRCDIR)};
	my ($st, $out) = run_command(cmd => ['sh', '-c', $direct], dir => $src, env => \%env, timeout => 300);
	is($st, 0, "the README's command passes as printed: $direct") or diag($out);
	like($out, qr/^Result: PASS$/m, "prove reports PASS");
}

done_testing();
