# Security finding 23: the nginx configuration we ship (conf/nginx.conf.in)
# adds the security headers to every answer (the UI, the API, errors nginx
# makes itself): a Content-Security-Policy without inline scripts and with
# frame-ancestors 'none', X-Content-Type-Options, Referrer-Policy,
# X-Frame-Options; HSTS only over TLS (absent on plain HTTP, present on a
# second stack whose listener is TLS).  API
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

# HSTS only over TLS: the same configuration, its listener made TLS with a
# throwaway certificate, answers with Strict-Transport-Security.
package PipelitTest::Tls;
use parent -norequire, 'PipelitTest';

sub render_nginx_conf {
	my ($self, $prefix, $port) = @_;
	$self->SUPER::render_nginx_conf($prefix, $port);
	my ($rc, $out) = PipelitTest::run_command(cmd => ['openssl', 'req', '-x509', '-newkey', 'rsa:2048',
		'-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', "$prefix/key.pem",
		'-out', "$prefix/cert.pem"], timeout => 60);
	die "openssl: $out" if $rc != 0;
	my $text = PipelitTest::slurp("$prefix/nginx.conf");
	$text =~ s{listen 127\.0\.0\.1:$port;}{listen 127.0.0.1:$port ssl;
		ssl_certificate $prefix/cert.pem;
		ssl_certificate_key $prefix/key.pem;} or die 'no listen line';
	open my $fh, '>', "$prefix/nginx.conf" or die $!;
	print $fh $text;
	close $fh;
}

sub https_head {
	my ($self, $path) = @_;
	my ($rc, $out) = PipelitTest::run_command(cmd => ['curl', '-sk', '-o', '/dev/null', '-D', '-',
		'https://127.0.0.1:' . $self->port . $path], timeout => 30);
	return $rc == 0 ? $out : '';
}

sub wait_ready {
	my ($self) = @_;
	return PipelitTest::wait_until(60, sub { $self->https_head('/health') =~ m{^HTTP/\S+ 200}m }) ? 1 : 0;
}

package main;

SKIP: {
	skip 'openssl or curl is missing', 3 unless -x '/usr/bin/openssl' && -x '/usr/bin/curl';
	my $tls = PipelitTest::Tls->started(name => 'a stack served over TLS') or skip 'no TLS stack', 2;
	like($tls->https_head('/'), qr/^Strict-Transport-Security: max-age=\d+/mi, 'HSTS on the UI over TLS');
	like($tls->https_head('/api/v1/auth/me/'), qr/^Strict-Transport-Security: max-age=\d+/mi,
		'and on the API over TLS');
}

done_testing();
