# PostgreSQL that stops answering: every wait has a deadline.
#
# The test starts a PostgreSQL cluster of its own (it never stops a server
# it does not own) and stops every process of it with SIGSTOP, the way a
# hung host or a frozen VM looks from the client: connections stay open
# and nothing answers.  Requests must then be answered (503, never a hang,
# a 502 or a 504), /health must say the database is unreachable, and once
# the server continues the pool must recover by itself.  Every write the
# API acknowledged is checked at the end.
use strict;
use warnings;
use Test::More;
use PipelitTest;
use PipelitAuth qw(make_user bearer);
use PipelitPgCluster;

need_nginx();
my $pg = PipelitPgCluster->start(tcp => 1)
	or plan skip_all => "no PostgreSQL cluster of our own: $PipelitPgCluster::WHY";

my $t = PipelitTest->started(db_url => $pg->url,
	env => { PIPELIT_DB_QUERY_TIMEOUT_SECONDS => 2 }) or exit 1;
my $token = make_user($t, 'pg-admin', 'secret-pass-1', 'admin') or exit 1;

my (@acked, $n);
sub create_workflow {
	$n++;
	my $res = $t->request('POST', '/api/v1/workflows/', { headers => bearer($token),
		content => { name => "ledger $n" } });
	push @acked, ($t->json($res) // {})->{slug} if $res->{status} == 201;
	return $res;
}

is(create_workflow()->{status}, 201, 'a write while the server answers');

ok($pg->stop_server, 'every process of our PostgreSQL cluster is stopped (SIGSTOP)');

my $h = $t->get('/health');
is($h->{status}, 503, '/health answers 503 while the server is hung') or diag($h->{content});
my $hj = $t->json($h) // {};
is($hj->{database_state}, 'unreachable', '/health says the database does not answer');
ok($h->{headers}{'retry-after'}, 'with Retry-After');

my %statuses;
for (1 .. 3) {
	my $res = create_workflow();
	$statuses{ $res->{status} }++;
	$statuses{retry_after}++ if $res->{headers}{'retry-after'};
}
$statuses{ $t->get('/health')->{status} }++;
is_deeply(\%statuses, { 503 => 4, retry_after => 3 },
	'writes and /health are answered 503 with Retry-After: none acknowledged, none hangs')
	or diag(explain \%statuses);

ok($pg->continue_server, 'the server continues (SIGCONT)');
ok(wait_until(60, sub { $t->get('/health')->{status} == 200 }),
	'/health is 200 again: the pool reconnected by itself');
my $ok = 0;
for (1 .. 4) { $ok++ if create_workflow()->{status} == 201 }
is($ok, 4, 'writes succeed again without a restart');

my $res = $t->request('GET', '/api/v1/workflows/?limit=1000', { headers => bearer($token) });
my %listed = map { $_->{slug} => 1 } @{ ($t->json($res) // {})->{items} // [] };
my @missing = grep { !$listed{$_} } @acked;
is(scalar @missing, 0, scalar(@acked) . ' acknowledged writes, none missing') or diag("@missing");

$t->cleanup;
$pg->cleanup;
done_testing();
