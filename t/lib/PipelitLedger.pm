package PipelitLedger;

# PipelitLedger: write load with a ledger, for the fault tests.  Writers
# POST /api/v1/_test/write/ (one row each) in a loop until ->finish; every
# write answered 2xx is written down with the id it returned, and ->verify
# checks afterwards that each of them is in the database exactly once.
#
#   my $ledger = PipelitLedger->start($t, writers => 4);
#   ... the fault ...
#   my $r = $ledger->finish;      # {statuses => {201 => n, 503 => m}, ids => [...]}
#   $ledger->verify($t);          # tests: none missing, none duplicated

use strict;
use warnings;

use HTTP::Tiny;
use JSON::PP;
use POSIX ();
use Test::More;
use Time::HiRes qw(time sleep);

use PipelitTest ();

sub start {
	my ($class, $t, %o) = @_;
	my $n = $o{writers} // 4;
	my $dir = $t->dir . '/ledger.' . PipelitTest::random_name();
	mkdir $dir or die "mkdir $dir: $!";
	my $url = $o{url} // $t->url('/api/v1/_test/write/');
	my @pids;
	for my $i (1 .. $n) {
		my $pid = fork // die "fork: $!";
		if ($pid == 0) {
			writer_loop($url, "$dir/w$i", "$dir/stop", $o{max_seconds} // 120);
			POSIX::_exit(0);
		}
		push @pids, $pid;
	}
	return bless { dir => $dir, pids => \@pids }, $class;
}

sub writer_loop {
	my ($url, $file, $stop, $max) = @_;
	my $http = HTTP::Tiny->new(timeout => 90, keep_alive => 0);
	open my $fh, '>', $file or die "$file: $!";
	$fh->autoflush(1);
	my $deadline = time + $max;
	while (!-e $stop && time < $deadline) {
		my $res = $http->post($url, { content => '{}', headers => { 'Content-Type' => 'application/json' } });
		my $id = '';
		if ($res->{status} =~ /^2/) {
			$id = eval { decode_json($res->{content})->{id} } // 'none';
		}
		print {$fh} "$res->{status} $id\n";
		sleep 0.01;
	}
	close $fh;
}

# Stops the writers; returns {statuses => {STATUS => count}, ids => [acknowledged ids]}.
sub finish {
	my ($self) = @_;
	return $self->{result} if $self->{result};
	open my $s, '>', "$self->{dir}/stop";
	close $s;
	PipelitTest::wait_child($_, 120) // do { kill 'KILL', $_; waitpid($_, 0) } for @{ $self->{pids} };
	my (%statuses, @ids);
	for my $f (glob "$self->{dir}/w*") {
		for (split /\n/, PipelitTest::slurp($f)) {
			my ($status, $id) = split ' ';
			$statuses{$status}++;
			push @ids, $id if $status =~ /^2/;
		}
	}
	return $self->{result} = { statuses => \%statuses, ids => \@ids };
}

sub describe {
	my ($r) = @_;
	my $s = $r->{statuses};
	return join ', ', map { "$_ x$s->{$_}" } sort keys %$s;
}

# Tests: at least one write was acknowledged, and every acknowledged write
# is in the database exactly once.
sub verify {
	my ($self, $t) = @_;
	my $r = $self->finish;
	my @ids = @{ $r->{ids} };
	ok(@ids > 0, 'writes were acknowledged during the fault (' . describe($r) . ')');
	my %seen;
	my @dup = grep { $seen{$_}++ } @ids;
	ok(!@dup, 'no id was acknowledged twice') or diag("duplicated: @dup[0 .. ($#dup < 9 ? $#dup : 9)]");
	my @bad = grep { !/^\d+$/ } @ids;
	ok(!@bad, 'every acknowledgement carries an id') or diag("bad: @bad[0 .. ($#bad < 9 ? $#bad : 9)]");
	my $rows = $t->db_query("SELECT id FROM user_profiles WHERE username LIKE 'writer-%'") // '';
	my %in_db;
	$in_db{$_}++ for split /\n/, $rows;
	my @missing = grep { !$in_db{$_} } grep { /^\d+$/ } @ids;
	is(scalar @missing, 0, scalar(@ids) . ' acknowledged writes are all in the database')
		or diag("missing: @missing[0 .. ($#missing < 9 ? $#missing : 9)]");
	my @twice = grep { $in_db{$_} > 1 } keys %in_db;
	ok(!@twice, 'no row is in the database twice');
	return $r;
}

# The count of answers that were not 2xx.
sub failures {
	my ($self) = @_;
	my $s = $self->finish->{statuses};
	my $n = 0;
	$n += $s->{$_} for grep { !/^2/ } keys %$s;
	return $n;
}

sub DESTROY {
	my ($self) = @_;
	return if $self->{result} || !$self->{pids};
	kill 'KILL', @{ $self->{pids} };
	waitpid($_, 0) for @{ $self->{pids} };
}

1;
