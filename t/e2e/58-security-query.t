# Security finding 18: a query string is taken whole or refused, never cut.
# More than 64 parameters, or a query string over 4096 bytes, is a 414 with
# a JSON detail naming the limit (before, parameters past the 64th were
# dropped, so a limit=-1 placed last skipped its check); a redirect to the
# right trailing slash always carries its Location, query included (before,
# a long query made a 307 without one).  One backend: no storage involved.
use strict;
use warnings;
use Test::More;
use PipelitTest;
use PipelitAuth;

need_nginx();

my $t = PipelitTest->started or exit;
my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or exit;

sub list_with {
	my ($query) = @_;
	return $t->get("/api/v1/workflows/?$query", bearer($alice));
}

my $pad = join '&', map { "p$_=x" } 1 .. 63;
my $res = list_with("$pad&limit=5");
is($res->{status}, 200, '64 parameters are read') or diag($res->{content});
$res = list_with("$pad&limit=-1");
is($res->{status}, 422, 'the 64th parameter is checked (limit=-1 is a 422)');
$res = list_with("$pad&p64=x&limit=-1");
is_detail($t, $res, 414, qr/Too many query parameters: at most 64/, 'a 65th parameter');
like($res->{headers}{'content-type'} // '', qr{^application/json}, 'answered as JSON');

$res = list_with('limit=5&q=' . ('a' x 5000));
is_detail($t, $res, 414, qr/query string at most 4096/, 'a query string over 4096 bytes');

# The wrong trailing slash with a long query: the Location holds all of it.
my $query = 'limit=5&q=' . ('b' x 3000);
$res = $t->get("/api/v1/workflows?$query", bearer($alice));
is($res->{status}, 307, 'the wrong trailing slash is a 307');
is($res->{headers}{location}, "/api/v1/workflows/?$query", 'with the whole Location, query included');

# The same rules without nginx in front (Apache, spawn-fcgi).
my $direct = fcgi_request($t->socket_path, 'GET', "/api/v1/workflows/?$pad&p64=x&p65=x",
	{ QUERY_STRING => "$pad&p64=x&p65=x", REMOTE_ADDR => '127.0.0.1' });
is($direct && $direct->{status}, 414, 'straight over FastCGI, 65 parameters are a 414 too');

done_testing();
