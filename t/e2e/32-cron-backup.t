#!/usr/bin/perl
# The cron backup recipe in doc/database.md works as printed: its job line
# is run by /bin/sh -c with cron's environment (PATH=/usr/bin:/bin, HOME,
# SHELL=/bin/sh, LOGNAME) plus the variables the file sets, whose values
# (the two paths the reader is told to set) point into a temporary
# installation laid out as scripts/start.sh lays one out.  It must write a
# backup, keep its log beside the backups, and delete only backups older
# than 14 days.
use strict;
use warnings;

use File::Path qw(make_path);
use File::Temp qw(tempdir);
use POSIX qw(strftime);
use Test::More;
use PipelitTest;

my $doc = srcdir() . '/doc/database.md';
open my $fh, '<', $doc or die "$doc: $!";
my $text = do { local $/; <$fh> };
close $fh;

my ($block) = $text =~ /^```cron\n(.*?)^```/ms;
ok($block, 'doc/database.md has a cron block') or done_testing(), exit;

# A crontab: comments, NAME=value lines (no quotes, no expansion, as
# Debian's cron reads them) and job lines.
my (%vars, @jobs);
for my $line (split /\n/, $block) {
	next if $line =~ /^\s*(#|$)/;
	if ($line =~ /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/) {
		$vars{$1} = $2;
	} else {
		push @jobs, $line;
	}
}
is(scalar @jobs, 1, 'the cron file has one job line') or done_testing(), exit;
my ($min, $hour, $dom, $mon, $dow, $user, $command) = split ' ', $jobs[0], 7;
is("$min $hour $dom $mon $dow", '30 2 * * *', 'it runs every night at 02:30');
is($user, 'pipelit', 'as the pipelit user (the user field of /etc/cron.d)');
unlike($command, qr/(?<!\\)%/, 'no unescaped % (cron would cut the command there)');
is_deeply([sort keys %vars], [qw(BACKUP_DIR PIPELIT_HOME)],
	'the file sets PIPELIT_HOME and BACKUP_DIR, the paths the reader adapts');

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $dir = tempdir('pipelit-cron-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{PIPELIT_TEST_KEEP});
	my ($home, $install, $backups) = ("$dir/home", "$dir/pipelit", "$dir/backups");
	make_path($home, "$install/.local/bin", $backups);
	symlink(pipelit_bin(), "$install/.local/bin/pipelit") or die "symlink: $!";
	# An installation as scripts/start.sh makes one: .env beside data/.
	open my $env, '>', "$install/.env" or die "$install/.env: $!";
	print $env "FIELD_ENCRYPTION_KEY=" . PipelitTest::encryption_key() . "\n";
	print $env "DATABASE_URL=$db_url\n" if $backend eq 'postgresql';
	close $env;
	my ($rc, $out) = run_command(cmd => ["$install/.local/bin/pipelit", 'db', 'upgrade'], dir => $install);
	is($rc, 0, "$backend: the database exists (pipelit db upgrade)") or diag($out);

	# An old backup, a recent one, and a file that is not a backup.
	my $old = "$backups/pipelit-20200101-023000." . ($backend eq 'sqlite' ? 'sqlite3' : 'pgdump');
	my $recent = "$backups/pipelit-" . strftime('%Y%m%d-%H%M%S', localtime(time - 86400)) . '.sqlite3';
	my $other = "$backups/notes.txt";
	for my $file ($old, $recent, $other) {
		open my $f, '>', $file or die "$file: $!";
		close $f;
	}
	my $long_ago = time - 20 * 86400;
	utime($long_ago, $long_ago, $old, $other) or die "utime: $!";

	# cron's environment: nothing of ours, plus the file's variables.
	my %cron_env = (
		PATH => '/usr/bin:/bin', HOME => $home, SHELL => '/bin/sh',
		LOGNAME => scalar(getpwuid($<)) // 'pipelit',
		PIPELIT_HOME => $install, BACKUP_DIR => $backups,
	);
	($rc, $out) = run_command(cmd => ['/bin/sh', '-c', $command], dir => $home, env => \%cron_env);
	is($rc, 0, "$backend: the job line exits 0") or diag($out, slurp_file("$backups/backup.log"));

	opendir my $dh, $backups or die "$backups: $!";
	my @made = grep { /^pipelit-\d{8}-\d{6}\.(sqlite3|pgdump)$/ && "$backups/$_" ne $old && "$backups/$_" ne $recent }
		readdir $dh;
	closedir $dh;
	is(scalar @made, 1, "$backend: one new backup in BACKUP_DIR") or diag(join ' ', @made);
	if (@made) {
		my $magic = $backend eq 'sqlite' ? "SQLite format 3\0" : 'PGDMP';
		my $head = slurp_file("$backups/$made[0]", length $magic);
		is($head, $magic, "$backend: the backup is a " . ($backend eq 'sqlite' ? 'SQLite database' : 'pg_dump archive'));
	}
	ok(-e "$backups/backup.log", "$backend: the log is beside the backups");
	ok(!-e $old, "$backend: a backup older than 14 days is deleted");
	ok(-e $recent, "$backend: a recent backup is kept");
	ok(-e $other, "$backend: a file that is not a backup is kept, however old");
});

sub slurp_file {
	my ($path, $len) = @_;
	open my $f, '<', $path or return '';
	binmode $f;
	my $data = '';
	if (defined $len) { read $f, $data, $len } else { local $/; $data = <$f> }
	return $data // '';
}

done_testing();
