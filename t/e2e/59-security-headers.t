# Security finding 23: the nginx configuration we ship (conf/nginx.conf.in)
# adds the security headers to every answer (the UI, the API, errors nginx
# makes itself): a Content-Security-Policy without inline scripts and with
# frame-ancestors 'none', X-Content-Type-Options, Referrer-Policy,
# X-Frame-Options; HSTS only over TLS (so not here, on plain HTTP).  API
# answers say Cache-Control: no-store from pipelit itself, so that holds
# behind any web server (checked straight over FastCGI too).
use strict;
use warnings;
use Test::More;
use PipelitTest;
use PipelitAuth;

need_nginx();

my $t = PipelitTest->started(env => { PIPELIT_MAX_BODY_BYTES => 4096 }) or exit;
my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or exit;

sub has_security_headers {
	my ($res, $name) = @_;
	my $h = $res->{headers};
	my $csp = $h->{'content-security-policy'} // '';
	subtest "$name ($res->{status})" => sub {
		like($csp, qr/(?:^|;\s*)default-src 'self'/, "CSP default-src 'self'");
		like($csp, qr/(?:^|;\s*)script-src 'self'(?:;|$)/, "CSP script-src 'self' only (no inline scripts)");
		like($csp, qr/(?:^|;\s*)connect-src 'self'/, "CSP connect-src 'self'");
		like($csp, qr/(?:^|;\s*)frame-ancestors 'none'/, "CSP frame-ancestors 'none'");
		like($csp, qr/(?:^|;\s*)base-uri 'none'/, "CSP base-uri 'none'");
		like($csp, qr/(?:^|;\s*)object-src 'none'/, "CSP object-src 'none'");
		is($h->{'x-content-type-options'}, 'nosniff', 'X-Content-Type-Options: nosniff');
		like($h->{'referrer-policy'} // '', qr/^(?:no-referrer|same-origin)$/, 'Referrer-Policy');
		is($h->{'x-frame-options'}, 'DENY', 'X-Frame-Options: DENY');
		ok(!exists $h->{'strict-transport-security'}, 'no HSTS over plain HTTP');
	};
}

my $page = $t->get('/');
has_security_headers($page, 'the UI page');
has_security_headers($t->get('/workflows/some-page'), 'an SPA path');
my $me = $t->get('/api/v1/auth/me/', bearer($alice));
has_security_headers($me, 'an API answer');
is($me->{headers}{'cache-control'}, 'no-store', 'the API answer is Cache-Control: no-store');
my $denied = $t->get('/api/v1/auth/me/');
has_security_headers($denied, 'a 401');
is($denied->{headers}{'cache-control'}, 'no-store', 'so is a 401');
is($t->get('/health')->{headers}{'cache-control'}, 'no-store', 'and /health');
has_security_headers($t->post('/api/v1/workflows/', 'x' x 8192, { %{ bearer($alice) },
	'Content-Type' => 'application/json' }), "nginx's own 413");

my $direct = fcgi_request($t->socket_path, 'GET', '/api/v1/auth/me/', { REMOTE_ADDR => '127.0.0.1' });
is($direct && $direct->{headers}{'cache-control'}, 'no-store',
	'pipelit itself says no-store (behind Apache too)');

done_testing();
