package FastCGIClient;

# FastCGIClient: a minimal FastCGI client for the tests that talk to the
# pool's socket without nginx (a TCP listener, parameters nginx would not
# send, malformed records).
#
#   my $res = FastCGIClient::request('/path/pipelit.sock',
#       { REQUEST_METHOD => 'GET', REQUEST_URI => '/health', REMOTE_ADDR => '10.0.0.1' });
#   $res->{status}, $res->{headers}{'content-type'}, $res->{body}
#
# The address is a unix socket path or HOST:PORT.

use strict;
use warnings;

use IO::Socket::INET;
use IO::Socket::UNIX;

use constant { FCGI_BEGIN => 1, FCGI_END => 3, FCGI_PARAMS => 4, FCGI_STDIN => 5, FCGI_STDOUT => 6 };

sub connect_to {
	my ($addr) = @_;
	return $addr =~ m{^/}
		? IO::Socket::UNIX->new(Peer => $addr, Type => SOCK_STREAM)
		: IO::Socket::INET->new(PeerAddr => $addr, Timeout => 10);
}

sub record {
	my ($type, $id, $content) = @_;
	my $len = length $content;
	my $pad = (8 - $len % 8) % 8;
	return pack('CCnnCC', 1, $type, $id, $len, $pad, 0) . $content . ("\0" x $pad);
}

sub length_bytes {
	my ($n) = @_;
	return $n < 128 ? pack('C', $n) : pack('N', $n | 0x80000000);
}

sub params {
	my ($p) = @_;
	my $out = '';
	for my $k (sort keys %$p) {
		my $v = $p->{$k} // '';
		$out .= length_bytes(length $k) . length_bytes(length $v) . $k . $v;
	}
	return $out;
}

# Sends one request; returns {status, headers, body}, or undef when the
# connection fails or closes before the answer ends.
sub request {
	my ($addr, $params, $body) = @_;
	my $s = connect_to($addr) or return undef;
	$body //= '';
	my %p = (SERVER_PROTOCOL => 'HTTP/1.1', QUERY_STRING => '', CONTENT_LENGTH => length $body,
		REMOTE_ADDR => '127.0.0.1', %$params);
	$p{DOCUMENT_URI} //= ($p{REQUEST_URI} // '/') =~ s/\?.*//r;
	my $out = record(FCGI_BEGIN, 1, pack('nCx5', 1, 0))
		. record(FCGI_PARAMS, 1, params(\%p)) . record(FCGI_PARAMS, 1, '')
		. ($body ne '' ? record(FCGI_STDIN, 1, $body) : '') . record(FCGI_STDIN, 1, '');
	print {$s} $out;
	my ($stdout, $ended) = ('', 0);
	while (!$ended) {
		my $head = read_exactly($s, 8) // last;
		my (undef, $type, undef, $len, $pad) = unpack('CCnnC', $head);
		my $content = read_exactly($s, $len + $pad) // last;
		$stdout .= substr($content, 0, $len) if $type == FCGI_STDOUT;
		$ended = 1 if $type == FCGI_END;
	}
	close $s;
	return undef unless $ended;
	my ($head, $text) = split /\r?\n\r?\n/, $stdout, 2;
	my %headers;
	for (split /\r?\n/, $head // '') {
		my ($k, $v) = /^([^:]+):\s*(.*)$/ or next;
		$headers{ lc $k } = $v;
	}
	my ($status) = ($headers{status} // '200') =~ /^(\d+)/;
	return { status => $status, headers => \%headers, body => $text // '' };
}

sub read_exactly {
	my ($s, $n) = @_;
	my $buf = '';
	while (length $buf < $n) {
		my $r = sysread($s, $buf, $n - length $buf, length $buf);
		return undef unless $r;
	}
	return $buf;
}

# Sends raw bytes on a new connection and waits for the peer to close it;
# true when the connection could be made.
sub send_raw {
	my ($addr, $bytes) = @_;
	my $s = connect_to($addr) or return 0;
	print {$s} $bytes;
	shutdown($s, 1);
	my $buf;
	1 while sysread($s, $buf, 4096);
	close $s;
	return 1;
}

1;
