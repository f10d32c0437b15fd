# 64 processes writing at once through the pool: no error, no lost row
# (SQLite must never say "database is locked").
use strict;
use warnings;
use Test::More;
use PipelitTest;

need_nginx();

use constant { WRITERS => 64, WRITES => 20 };

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url, responders => 4) or return;
	my $url = $t->url('/api/v1/_test/write/');
	my $errors = $t->dir . '/writer-errors';
	my @status = run_in_children(WRITERS, sub {
		my ($i) = @_;
		my $http = HTTP::Tiny->new(timeout => 30);
		my ($failed, $timeouts) = (0, 0);
		for (1 .. WRITES) {
			my $res = $http->post($url, { content => '{}', headers => { 'Content-Type' => 'application/json' } });
			next if $res->{status} == 201;
			$failed++;
			# A stuck pool must fail this test, not stall the suite.
			$timeouts++ if $res->{status} == 599;
			$failed += WRITES - $_, last if $timeouts >= 2;
			open my $fh, '>>', "$errors.$i";
			print $fh "$res->{status} $res->{content}\n";
			close $fh;
		}
		return $failed;
	});
	my $failed = 0;
	$failed += $_ for @status;
	is($failed, 0, WRITERS . ' writers x ' . WRITES . ' POSTs: every one answered 201')
		or diag(join '', map { PipelitTest::slurp($_) } (glob "$errors.*")[0 .. 4]);
	is($t->db_query('SELECT count(*) FROM user_profiles'), WRITERS * WRITES,
		'exactly ' . WRITERS * WRITES . ' rows were written');
	unlike($t->log_text, qr/database is locked/i, 'the log never says "database is locked"');
});

done_testing;
