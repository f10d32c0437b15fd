# Upgrade in place without a failed request (`pipelit restart`, which
# `scripts/start.sh restart` and systemd's ExecReload run): under read and
# write load, a build with one more migration (t/pipelit-next) is installed
# over the running binary and `pipelit restart` migrates the database and
# has the master re-execute it.  Every request is answered 2xx, every
# acknowledged write is kept, the master keeps its pid, and /status then
# reports the new schema revision with every child replaced.
use strict;
use warnings;
use Test::More;
use PipelitTest;
use PipelitLedger;
use File::Basename qw(dirname);
use File::Copy qw(copy);
use Time::HiRes qw(sleep);

need_nginx();

my $NEXT = dirname(pipelit_bin()) . '/t/pipelit-next';
plan skip_all => "$NEXT not built (make check builds it)" unless -x $NEXT;

sub install_binary {
	my ($from, $to) = @_;
	copy($from, "$to.new") or die "copy $from: $!";
	chmod 0755, "$to.new";
	rename "$to.new", $to or die "rename: $!";	# as install(1) does: a new file
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->new(db_url => $db_url, responders => 3);
	my $bin = $t->dir . '/bin/pipelit';
	mkdir $t->dir . '/bin';
	install_binary(pipelit_bin(), $bin);
	ok($t->start($bin, 'serve', '--socket', $t->socket_path, '--pid-file', $t->pid_file),
		'the pool starts from an installed binary') or return diag($t->log_tail);
	my $before = $t->json($t->get('/status')) // {};
	my @old_children = $t->child_pids;
	isnt($before->{schema_revision}, '0bada55e0001', 'the new migration is not applied yet');

	my $ledger = PipelitLedger->start($t, writers => 3);
	my $reads = $t->start_load(path => '/health');
	sleep 0.5;
	install_binary($NEXT, $bin);
	my ($rc, $out) = run_command(cmd => [$bin, 'restart', '--pid-file', $t->pid_file],
		env => $t->env, dir => $t->dir, timeout => 120);
	is($rc, 0, 'pipelit restart succeeds') or diag($out, $t->log_tail);
	like($out, qr/restarted in place \(pid ${\ $t->master_pid}\), schema revision 0bada55e0001/,
		'it reports the new schema revision');
	sleep 0.5;
	my $count = $reads->finish;
	my @bad = grep { $_ != 200 } keys %$count;
	ok(!@bad && $count->{200}, 'every read during the upgrade answered 200 ('
		. join(', ', map { "$_ x$count->{$_}" } sort keys %$count) . ')');
	$ledger->verify($t);
	is($ledger->failures, 0, 'every write during the upgrade answered 2xx');

	my $after = $t->json($t->get('/status')) // {};
	is($after->{master_pid}, $t->master_pid, 'the master kept its pid');
	is($after->{schema_revision}, '0bada55e0001', '/status reports the new schema revision');
	ok(!$after->{replacing_children}, 'the children have all been replaced');
	my %old = map { $_ => 1 } @old_children;
	ok(!grep({ $old{$_} } $t->child_pids), 'no child of the old binary is left');
	is(readlink('/proc/' . $t->master_pid . '/exe'), $bin, 'the master runs the installed file (not a deleted one)');
	ok(defined $t->db_query('SELECT count(*) FROM upgrade_probe'), "the new migration's table exists");
	is($t->stop, 0, 'the upgraded pool stops cleanly');
});

done_testing;
