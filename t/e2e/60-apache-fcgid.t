#!/usr/bin/perl
# conf/apache-fcgid.conf works as printed, against Debian's apache2 and
# libapache2-mod-fcgid: its shell steps run in a home directory of their
# own (with USER replaced, nothing else changed), its wrapper, virtual host
# lines and .htaccess go where it says, and an Apache of our own (its own
# ServerRoot and configuration in a temporary directory, on a free loopback
# port; the system's /etc/apache2 is not read) serves the UI, /health, the
# API's JSON 404, a login and an authenticated request through pipelit
# fcgi, with the UI's caching headers (a hashed asset kept a year,
# index.html revalidated, a missing asset a 404).  Then the upgrade step runs as printed, and stopping Apache leaves
# no responder behind.  As root, Apache's children and the steps run as
# www-data, as a hosting user would be.
use strict;
use warnings;

use File::Path qw(make_path);
use File::Temp qw(tempdir);
use HTTP::Tiny;
use JSON::PP;
use POSIX qw(WNOHANG);
use Test::More;
use PipelitTest;

my $APACHE = '/usr/sbin/apache2';
my $MODULES = '/usr/lib/apache2/modules';
plan skip_all => 'apache2 and libapache2-mod-fcgid are not installed (scripts/test.sh installs them)'
	unless -x $APACHE && -f "$MODULES/mod_fcgid.so";

my $conf_file = srcdir() . '/conf/apache-fcgid.conf';
open my $fh, '<', $conf_file or die "$conf_file: $!";
my @lines = <$fh>;
close $fh;

# The printed blocks: runs of lines "#     text" (a hash, five spaces).
my (@blocks, $current);
for (@lines) {
	if (/^#     (.*)$/) {
		push @blocks, ($current = []) unless $current;
		push @$current, $1;
	} else {
		undef $current;
	}
}
is(scalar @blocks, 5, 'five printed blocks: install, wrapper, virtual host, .htaccess, upgrade')
	or done_testing(), exit;

# Apache reads a comment only on a line of its own.
my @trailing = grep { /^\s*[A-Za-z<]\S*\s.*\s#/ } @{ $blocks[2] };
is_deeply(\@trailing, [], 'no comment after a directive in the virtual host lines');

my $tmp = tempdir('pipelit-apache-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{PIPELIT_TEST_KEEP});
chmod 0755, $tmp;
my $home = "$tmp/home/tester";
my $dist = "$tmp/dist";
my $ap = "$tmp/apache";
make_path($home, $dist, "$ap/fcgid");

sub printed {
	my ($i) = @_;
	return join '', map { (my $l = $_) =~ s{/home/USER\b}{$home}g; "$l\n" } @{ $blocks[$i] };
}

# What step 1 starts from: the binary and www/, the UI as make built it
# (never the sources, nor their node_modules).
system('cp', pipelit_bin(), "$dist/pipelit") == 0 or die 'cp pipelit';
# A copy, not a link: the web server's user may not be able to reach the
# checkout (a clone in a 0700 directory).
system('cp', '-R', www_dir(), "$dist/www") == 0 or die 'cp www';
open my $pw, '>', "$tmp/password" or die;
print $pw "correct-horse-battery\n";
close $pw;

my $as_root = $> == 0;
my @as_user = $as_root ? ('setpriv', '--reuid=www-data', '--regid=www-data', '--clear-groups', '--') : ();
if ($as_root) {
	system('chown', '-R', 'www-data:www-data', "$tmp/home", $dist, "$ap/fcgid") == 0 or die 'chown';
}
my %shell_env = (HOME => $home, PATH => '/usr/local/bin:/usr/bin:/bin', SHELL => '/bin/sh', LANG => 'C.UTF-8');

# run_step TEXT: the lines of a printed shell block, in one sh -e, from
# $dist, the password on standard input.
sub run_step {
	my ($text) = @_;
	return run_command(cmd => ['sh', '-c', 'exec "$@" <"$0"', "$tmp/password", @as_user, 'sh', '-ec', $text],
		dir => $dist, env => \%shell_env, timeout => 120);
}

my ($rc, $out) = run_step(printed(0));
is($rc, 0, 'step 1 (install, .env, db upgrade, user create, public_html) runs as printed') or diag($out);
ok(-s "$home/pipelit/.env", 'step 1 wrote .env');
ok(-e "$home/public_html/pipelit.fcgi" && -e "$home/public_html/index.html", 'step 1 filled public_html');

# Step 2: the wrapper, chmod 755 as the text says.
my $wrapper = "$home/pipelit/fcgi-wrapper";
open my $w, '>', $wrapper or die "$wrapper: $!";
print $w printed(1);
close $w;
chmod 0755, $wrapper;
# Step 4: .htaccess.
open my $h, '>', "$home/public_html/.htaccess" or die;
print $h printed(3);
close $h;
system('chown', '-R', 'www-data:www-data', "$tmp/home") if $as_root;

# Step 3 inside a server configuration of our own, as a host's would be.
open my $v, '>', "$ap/pipelit.conf" or die;
print $v printed(2);
close $v;
my $port = free_port();
my $user_lines = $as_root ? "User www-data\nGroup www-data\n" : '';
open my $c, '>', "$ap/httpd.conf" or die;
print $c <<"EOF";
ServerRoot "$ap"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$ap/httpd.pid"
DefaultRuntimeDir "$ap"
Mutex file:$ap default
ErrorLog "$ap/error.log"
LogLevel warn
LoadModule mpm_event_module $MODULES/mod_mpm_event.so
LoadModule authz_core_module $MODULES/mod_authz_core.so
LoadModule dir_module $MODULES/mod_dir.so
LoadModule mime_module $MODULES/mod_mime.so
LoadModule rewrite_module $MODULES/mod_rewrite.so
LoadModule headers_module $MODULES/mod_headers.so
LoadModule fcgid_module $MODULES/mod_fcgid.so
TypesConfig /etc/mime.types
DirectoryIndex index.html
${user_lines}FcgidIPCDir "$ap/fcgid"
FcgidProcessTableFile "$ap/fcgid/shm"
DocumentRoot "$home/public_html"
<Directory />
    AllowOverride None
    Require all denied
</Directory>
Include "$ap/pipelit.conf"
EOF
close $c;

($rc, $out) = run_command(cmd => [$APACHE, '-d', $ap, '-f', "$ap/httpd.conf", '-t']);
is($rc, 0, 'Apache accepts the configuration') or diag($out);

my $apache = fork // die "fork: $!";
if ($apache == 0) {
	open STDIN, '<', '/dev/null';
	open STDOUT, '>', "$ap/apache.out";
	open STDERR, '>&', \*STDOUT;
	{ no warnings 'exec'; exec $APACHE, '-d', $ap, '-f', "$ap/httpd.conf", '-DFOREGROUND'; }
	POSIX::_exit(127);
}
END { stop_apache() }
sub stop_apache {
	return unless $apache;
	kill 'TERM', $apache;
	waitpid($apache, 0);
	$apache = 0;
}

my $http = HTTP::Tiny->new(timeout => 30);
my $base = "http://127.0.0.1:$port";
my $up = wait_until(20, sub { $http->get("$base/index.html")->{status} == 200 });
ok($up, 'Apache serves') or diag(slurp_file("$ap/error.log"), slurp_file("$ap/apache.out"));

my $r = $http->get("$base/health");
is($r->{status}, 200, '/health answers 200 through mod_fcgid') or diag($r->{content}, slurp_file("$ap/error.log"));
like($r->{content} // '', qr/"status"\s*:\s*"ok"/, '/health says ok');

$r = $http->get("$base/api/v1/no-such-thing/");
is($r->{status}, 404, 'an unknown API path is 404');
like($r->{content} // '', qr/"detail"/, '... in the API\'s JSON shape');

$r = $http->get("$base/");
is($r->{status}, 200, '/ is the UI');
like($r->{content} // '', qr{<title>Pipelit</title>}, '/ serves index.html');
is($r->{headers}{'cache-control'}, 'no-cache', '... revalidated on every load (Cache-Control: no-cache)');
my $etag = $r->{headers}{etag} // '';
$r = $http->get("$base/", { headers => { 'If-None-Match' => $etag } });
is($r->{status}, 304, '... and answered 304 when it has not changed');
$r = $http->get("$base/workflows/some-page");
like($r->{content} // '', qr{<title>Pipelit</title>}, 'a page path falls back to index.html');
is($r->{headers}{'cache-control'}, 'no-cache', '... revalidated too');

# The UI's built files, named by a hash of their content: kept a year. A
# UI built without npm (the placeholder) has none; one is put there then.
my ($asset) = map { s{^.*/public_html/}{}r } glob "$home/public_html/assets/*.js";
unless ($asset) {
	make_path("$home/public_html/assets");
	open my $a, '>', "$home/public_html/assets/probe-0123abcd.js" or die;
	print $a "export {};\n";
	close $a;
	system('chown', '-R', 'www-data:www-data', "$home/public_html/assets") if $as_root;
	$asset = 'assets/probe-0123abcd.js';
}
$r = $http->get("$base/$asset");
is($r->{status}, 200, "a built asset ($asset) is served");
is($r->{headers}{'cache-control'}, 'public, max-age=31536000, immutable', '... cached a year, immutable');
$r = $http->get("$base/assets/index-00000000.js");
is($r->{status}, 404, 'a missing asset is a 404');
unlike($r->{content} // '', qr{<title>Pipelit</title>}, '... not index.html');
ok(!defined $r->{headers}{'cache-control'} || $r->{headers}{'cache-control'} !~ /immutable/, '... and not cached as an asset');

$r = $http->post("$base/api/v1/auth/token/", {
	headers => { 'Content-Type' => 'application/json' },
	content => encode_json({ username => 'admin', password => 'correct-horse-battery' }) });
is($r->{status}, 200, 'the admin made in step 1 logs in') or diag($r->{content});
my $key = eval { decode_json($r->{content})->{key} } // '';
$r = $http->get("$base/api/v1/auth/me/", { headers => { Authorization => "Bearer $key" } });
is($r->{status}, 200, 'the Authorization header reaches pipelit (CGIPassAuth)') or diag($r->{content});
like($r->{content} // '', qr/"username"\s*:\s*"admin"/, '... as the admin');

# Step 6: an upgrade, as printed, while Apache serves.
($rc, $out) = run_step(printed(4));
is($rc, 0, 'step 6 (replace the binary, db upgrade) runs as printed') or diag($out);
is($http->get("$base/health")->{status}, 200, '/health still answers after the upgrade step');

stop_apache();
my $bin = "$home/pipelit/bin/pipelit";
my $gone = wait_until(20, sub { !grep { (readlink("$_/exe") // '') =~ /^\Q$bin\E/ } glob '/proc/[0-9]*' });
ok($gone, 'no pipelit fcgi is left once Apache stops');

sub slurp_file {
	my ($path) = @_;
	open my $f, '<', $path or return '';
	local $/;
	return <$f> // '';
}

done_testing();
