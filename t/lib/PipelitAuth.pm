package PipelitAuth;

# PipelitAuth: what the end-to-end tests of accounts, keys, MFA and secrets
# share.  Users are made with `pipelit user create` (the way an operator
# makes them), logged in through the API, and every helper returns plain
# values so a test reads as a list of requests and expectations.
#
#   my $admin = make_user($t, 'alice', 'secret-pass-1', 'admin');   # token
#   my $res = $t->get('/api/v1/auth/me/', bearer($admin));
#   my $code = totp_code($secret, time);                            # RFC 6238
#
# fcgi_request() talks FastCGI straight to the pool's socket, so a test can
# present a REMOTE_ADDR nginx would never send (a non-loopback client).

use strict;
use warnings;

use Digest::SHA qw(hmac_sha1 sha256_hex);
use Exporter qw(import);
use File::Spec;
use IO::Socket::UNIX;
use JSON::PP;
use Socket qw(SOCK_STREAM);
use Test::More;
use Time::HiRes qw(time);

use PipelitTest;

our @EXPORT = qw(make_user login bearer api_req api_ok make_key is_detail is_validation base32_decode totp_code
	totp_now_code median row_count fcgi_request iso_utc pg_dump_text sqlite_files_text
	fresh_totp wrong_totp enable_mfa_for header_values);

# --- accounts ------------------------------------------------------------------

# Creates a user with the CLI and logs in; returns the session token (undef,
# with a failed test, when either step fails).
sub make_user {
	my ($t, $username, $password, $role) = @_;
	my ($rc, $out) = $t->pipelit('user', 'create', '--username', $username, '--password', $password,
		'--role', $role // 'normal');
	ok($rc == 0, "pipelit user create $username ($role)") or do { diag($out); return undef };
	return login($t, $username, $password);
}

# POST /auth/token/; the token, or undef.
sub login {
	my ($t, $username, $password) = @_;
	my $res = $t->post('/api/v1/auth/token/', { username => $username, password => $password });
	my $j = $t->json($res);
	return $res->{status} == 200 && ref $j eq 'HASH' && ($j->{key} // '') ne '' ? $j->{key} : undef;
}

sub bearer {
	my ($token) = @_;
	return { Authorization => "Bearer $token" };
}

# An API call as $token: $method /api/v1/$path with an optional JSON body.
# Returns the response and its decoded body.
sub api_req {
	my ($t, $token, $method, $path, $body) = @_;
	my %o = (headers => bearer($token));
	$o{content} = $body if defined $body;
	my $res = $t->request($method, "/api/v1/$path", \%o);
	return ($res, $t->json($res));
}

# The same, as a test that the answer has $status; returns the decoded body.
sub api_ok {
	my ($t, $token, $method, $path, $body, $status, $name) = @_;
	my ($res, $j) = api_req($t, $token, $method, $path, $body);
	is($res->{status}, $status, $name) or diag(substr($res->{content} // '', 0, 400));
	return $j;
}

# POST /users/me/keys as $token; returns the decoded APIKeyCreatedOut (or
# undef).
sub make_key {
	my ($t, $token, $name, $expires_at) = @_;
	my %body = (name => $name);
	$body{expires_at} = $expires_at if defined $expires_at;
	my $res = $t->request('POST', '/api/v1/users/me/keys', { content => \%body, headers => bearer($token) });
	return undef unless $res->{status} == 201;
	return $t->json($res);
}

# A response is $status with {"detail": $detail} (a string, or a regex).
sub is_detail {
	my ($t, $res, $status, $detail, $name) = @_;
	my $ok = is($res->{status}, $status, "$name: status $status");
	my $j = $t->json($res);
	my $got = ref $j eq 'HASH' ? $j->{detail} : undef;
	if (ref $detail eq 'Regexp') {
		$ok &= like($got // '', $detail, "$name: detail");
	} else {
		$ok &= is($got, $detail, "$name: detail '$detail'");
	}
	diag("body: " . substr($res->{content} // '', 0, 300)) unless $ok;
	return $ok;
}

# A 422 (or $status) whose body is {"detail":[{type, loc, msg, input}, ...]}.
sub is_validation {
	my ($t, $res, $name, @statuses) = @_;
	@statuses = (422) unless @statuses;
	my $ok = ok((grep { $res->{status} == $_ } @statuses), "$name: status $res->{status} is one of @statuses");
	my $j = $t->json($res);
	if ($res->{status} == 422) {
		my $items = ref $j eq 'HASH' ? $j->{detail} : undef;
		my $shape = ref $items eq 'ARRAY' && @$items && !grep {
			ref $_ ne 'HASH' || !defined $_->{type} || ref $_->{loc} ne 'ARRAY' || !defined $_->{msg}
				|| !exists $_->{input}
		} @$items;
		$ok &= ok($shape, "$name: detail is a list of {type, loc, msg, input}");
	} else {
		$ok &= ok(ref $j eq 'HASH' && defined $j->{detail}, "$name: JSON body with detail");
	}
	diag("body: " . substr($res->{content} // '', 0, 300)) unless $ok;
	return $ok;
}

# --- TOTP (RFC 6238 over RFC 4226, SHA-1, 6 digits, 30 s) -------------------------

sub base32_decode {
	my ($text) = @_;
	$text = uc $text;
	$text =~ s/[\s=]//g;
	my $bits = '';
	for my $c (split //, $text) {
		my $v = index('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', $c);
		die "not base32: $c" if $v < 0;
		$bits .= sprintf('%05b', $v);
	}
	$bits = substr($bits, 0, length($bits) - length($bits) % 8);
	return pack('B*', $bits);
}

sub hotp {
	my ($key, $counter) = @_;
	my $mac = hmac_sha1(pack('NN', int($counter / 2**32), $counter % 2**32), $key);
	my $offset = ord(substr($mac, -1)) & 0x0f;
	my $n = unpack('N', substr($mac, $offset, 4)) & 0x7fffffff;
	return sprintf('%06d', $n % 1_000_000);
}

# The code of the 30-second step that contains unix time $time.
sub totp_code {
	my ($secret_b32, $time) = @_;
	return hotp(base32_decode($secret_b32), int($time / 30));
}

# A code for now that stays valid a while: when the step ends within two
# seconds, waits for the next one, so a slow request cannot cross into a
# step where the code means something else.
sub totp_now_code {
	my ($secret_b32) = @_;
	my $left = 30 - (time % 30);
	Time::HiRes::sleep($left + 0.1) if $left < 2;
	return totp_code($secret_b32, time);
}

# --- measurements and looking inside --------------------------------------------

sub median {
	my @v = sort { $a <=> $b } @_;
	return undef unless @v;
	return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

sub row_count {
	my ($t, $table) = @_;
	return $t->db_query("SELECT count(*) FROM $table");
}

# "YYYY-MM-DDTHH:MM:SSZ" for a unix time.
sub iso_utc {
	my ($epoch) = @_;
	my @g = gmtime($epoch);
	return sprintf('%04d-%02d-%02dT%02d:%02d:%02dZ', $g[5] + 1900, $g[4] + 1, @g[3, 2, 1, 0]);
}

# The bytes of the stack's SQLite database and its -wal and -shm files.
sub sqlite_files_text {
	my ($t) = @_;
	my ($path) = $t->db_url =~ m{^sqlite:///(.*)$} or return undef;
	$path = File::Spec->rel2abs($path, $t->dir);
	my $all = '';
	for my $f ($path, "$path-wal", "$path-shm", "$path-journal") {
		next unless -e $f;
		open my $fh, '<:raw', $f or next;
		local $/;
		$all .= <$fh> // '';
	}
	return $all;
}

# A plain-text pg_dump of the stack's PostgreSQL database.
sub pg_dump_text {
	my ($t) = @_;
	my $dump = -x '/usr/lib/postgresql/15/bin/pg_dump' ? '/usr/lib/postgresql/15/bin/pg_dump' : 'pg_dump';
	my ($rc, $out) = run_command(cmd => [$dump, '--no-owner', '-d', $t->db_url], timeout => 120);
	return $rc == 0 ? $out : undef;
}

# --- FastCGI without nginx ---------------------------------------------------------

sub fcgi_record {
	my ($type, $content) = @_;
	my $pad = (8 - length($content) % 8) % 8;
	return pack('CCnnCC', 1, $type, 1, length $content, $pad, 0) . $content . ("\0" x $pad);
}

sub fcgi_pair {
	my ($k, $v) = @_;
	my $len = sub { my $n = shift; $n < 128 ? pack('C', $n) : pack('N', $n | 0x80000000) };
	return $len->(length $k) . $len->(length $v) . $k . $v;
}

# One request over the pool's unix socket with the CGI parameters given
# (REMOTE_ADDR among them); returns {status, headers, content} like
# HTTP::Tiny, or undef when the socket does not answer.
sub fcgi_request {
	my ($socket, $method, $path, $params, $body) = @_;
	$body //= '';
	my $s = IO::Socket::UNIX->new(Peer => $socket, Type => SOCK_STREAM, Timeout => 10) or return undef;
	my %p = (REQUEST_METHOD => $method, REQUEST_URI => $path, DOCUMENT_URI => $path, PATH_INFO => $path,
		SCRIPT_NAME => '', QUERY_STRING => '', SERVER_PROTOCOL => 'HTTP/1.1', GATEWAY_INTERFACE => 'CGI/1.1',
		REMOTE_ADDR => '192.0.2.10', REMOTE_PORT => '40000', SERVER_ADDR => '192.0.2.1', SERVER_PORT => '80',
		SERVER_NAME => 'pipelit', CONTENT_LENGTH => length $body,
		($body ne '' ? (CONTENT_TYPE => 'application/json') : ()), %{ $params // {} });
	my $pairs = join '', map { fcgi_pair($_, $p{$_}) } sort keys %p;
	my $out = fcgi_record(1, pack('nCx5', 1, 0));
	$out .= fcgi_record(4, $pairs) . fcgi_record(4, '');
	for (my $i = 0; $i < length $body; $i += 32768) {
		$out .= fcgi_record(5, substr($body, $i, 32768));
	}
	$out .= fcgi_record(5, '');
	print {$s} $out;
	my ($stdout, $buf) = ('', '');
	while (1) {
		while (length $buf < 8) {
			my $n = sysread($s, $buf, 65536, length $buf);
			return undef unless $n;
		}
		my ($ver, $type, $id, $len, $pad) = unpack('CCnnC', $buf);
		while (length $buf < 8 + $len + $pad) {
			my $n = sysread($s, $buf, 65536, length $buf);
			return undef unless $n;
		}
		my $content = substr($buf, 8, $len);
		substr($buf, 0, 8 + $len + $pad) = '';
		$stdout .= $content if $type == 6;
		last if $type == 3;
	}
	close $s;
	my ($head, $content) = split /\r?\n\r?\n/, $stdout, 2;
	my %h;
	for (split /\r?\n/, $head // '') {
		$h{ lc $1 } = $2 if /^([^:]+):\s*(.*)$/;
	}
	my ($status) = ($h{status} // '200') =~ /^(\d+)/;
	return { status => $status, headers => \%h, content => $content // '' };
}

# --- MFA helpers -----------------------------------------------------------------

# A code the server has not seen: its step is after $after (the last step
# used) and within the server's +-1 window, preferring the current step
# (sleeps only when $after is already the next step).  Returns (code, step).
sub fresh_totp {
	my ($secret, $after) = @_;
	$after //= -1;
	while (1) {
		my $now = time;
		my $cur = int($now / 30);
		my $step = $after + 1 > $cur ? $after + 1 : $cur;
		return (totp_code($secret, $step * 30), $step) if $step <= $cur + 1;
		Time::HiRes::sleep($step * 30 - 30 - $now + 0.2);
	}
}

# A code that is none of the steps the server accepts now.
sub wrong_totp {
	my ($secret) = @_;
	my $cur = int(time / 30);
	my %valid = map { totp_code($secret, ($cur + $_) * 30) => 1 } -2 .. 2;
	my $c = 0;
	$c++ while $valid{ sprintf('%06d', $c) };
	return sprintf('%06d', $c);
}

# Turns MFA on for the user of $token (setup + verify); returns (secret, step used).
sub enable_mfa_for {
	my ($t, $token) = @_;
	my $res = $t->request('POST', '/api/v1/auth/mfa/setup/', { headers => bearer($token) });
	my $secret = ($t->json($res) // {})->{secret} // '';
	my ($code, $step) = fresh_totp($secret);
	$res = $t->request('POST', '/api/v1/auth/mfa/verify/', { headers => bearer($token), content => { code => $code } });
	ok($res->{status} == 200, 'MFA enabled') or diag($res->{content});
	return ($secret, $step);
}

# Every value of a response header (HTTP::Tiny gives an array for repeats).
sub header_values {
	my ($res, $name) = @_;
	my $h = $res->{headers}{ lc $name };
	return ref $h ? @$h : defined $h ? ($h) : ();
}

1;
