# PostgreSQL whose disk is full: writes are answered 507 with Retry-After
# (PostgreSQL's "could not extend file": SQLSTATE 53100), or 503 while the
# server recovers, never a 500; reads go on; once space is freed, writes
# succeed again without a restart, and every write the API acknowledged
# is there.  The test starts a cluster of its own on a small tmpfs and
# fills that tmpfs with a file of its own (root only: CI runs as root).
use strict;
use warnings;
use Test::More;
use PipelitTest;
use PipelitAuth qw(make_user bearer);
use PipelitPgCluster;

need_nginx();
plan skip_all => 'needs root to mount a tmpfs for the cluster; CI runs as root' unless $> == 0;
my $pg = PipelitPgCluster->start(tcp => 1, tmpfs => '128m')
	or plan skip_all => "no PostgreSQL cluster of our own: $PipelitPgCluster::WHY";

my $t = PipelitTest->started(db_url => $pg->url) or exit 1;
my $token = make_user($t, 'pg-full', 'secret-pass-1', 'admin') or exit 1;

my (@acked, $n);
my $filler_text = 'x' x 3000;
sub create_workflow {
	$n++;
	my $res = $t->request('POST', '/api/v1/workflows/', { headers => bearer($token),
		content => { name => "ledger $n", description => "$n $filler_text" } });
	push @acked, ($t->json($res) // {})->{slug} if $res->{status} == 201;
	return $res;
}

is(create_workflow()->{status}, 201, 'a write while there is space');

# Fill the cluster's tmpfs: dd stops at "No space left on device".
my $filler = $pg->dir . '/filler';
system("dd if=/dev/zero of='$filler' bs=1M status=none 2>/dev/null");
ok(-s $filler, 'the disk of the cluster is full');

# Writes go on until PostgreSQL must grow a table file; from then on each
# is refused.  Bounded: far more than the pages that were left.
my (%statuses, $full);
for (1 .. 400) {
	my $res = create_workflow();
	$statuses{ $res->{status} }++;
	next if $res->{status} == 201;
	$full //= $res;
	last if ($statuses{507} // 0) >= 3;
}
ok($full && $full->{status} == 507, 'a write that needs space is answered 507')
	or diag(explain \%statuses);
like($full ? $full->{content} : '', qr/disk full/i, 'saying the disk is full');
ok($full && $full->{headers}{'retry-after'}, 'with Retry-After');
my @bad = grep { $_ != 201 && $_ != 507 && $_ != 503 } keys %statuses;
is("@bad", '', 'no other answer (never a 500)') or diag(explain \%statuses);
is($t->request('GET', '/api/v1/workflows/?limit=1', { headers => bearer($token) })->{status}, 200,
	'reads are answered meanwhile');

unlink $filler;
ok(wait_until(30, sub { create_workflow()->{status} == 201 }), 'writes succeed again once space is freed');
my $ok = 0;
for (1 .. 3) { $ok++ if create_workflow()->{status} == 201 }
is($ok, 3, 'and go on succeeding');

my $res = $t->request('GET', '/api/v1/workflows/?limit=1000', { headers => bearer($token) });
my %listed = map { $_->{slug} => 1 } @{ ($t->json($res) // {})->{items} // [] };
my @missing = grep { !$listed{$_} } @acked;
is(scalar @missing, 0, scalar(@acked) . ' acknowledged writes, none missing') or diag("@missing");

$t->cleanup;
$pg->cleanup;
done_testing();
