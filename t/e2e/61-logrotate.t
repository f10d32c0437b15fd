#!/usr/bin/perl
# conf/logrotate works as printed (its paths and user replaced, as its
# header says): logrotate renames the pool's LOG_FILE and nginx's logs,
# SIGHUP makes the master write to a new pipelit.log, USR1 makes nginx write
# to a new access.log, and the stack keeps answering.
use strict;
use warnings;

use File::Path qw(make_path);
use Test::More;
use PipelitTest;

need_nginx();
my ($logrotate) = grep { -x } qw(/usr/sbin/logrotate /sbin/logrotate);
plan skip_all => 'logrotate is not installed (scripts/test.sh installs it)' unless $logrotate;
# The example is root's (su, runuser); runuser refuses other users.
plan skip_all => 'conf/logrotate is for the logrotate root runs' unless $> == 0;

my $t = PipelitTest->new(env => {});
my $checkout = $t->dir . '/checkout';
my $var = "$checkout/.local/var";
make_path("$var/log", "$var/run");
# The quick start's layout: LOG_FILE and the pid file under .local/var,
# nginx's prefix at .local/var/nginx (here the harness's nginx directory).
symlink($t->dir . '/nginx', "$var/nginx") or die "symlink: $!";
$t->{extra_env}{LOG_FILE} = "$var/log/pipelit.log";
ok($t->start(pipelit_bin(), 'serve', '--socket', $t->socket_path, '--pid-file', "$var/run/pipelit.pid"),
	'the stack starts with LOG_FILE and the pid file where scripts/start.sh puts them')
	or diag($t->log_tail), done_testing(), exit;
is($t->get('/health')->{status}, 200, 'a request before the rotation');

my $user = getpwuid($<);
my $group = getgrgid($();
open my $in, '<', srcdir() . '/conf/logrotate' or die "conf/logrotate: $!";
my $conf = do { local $/; <$in> };
close $in;
$conf =~ s{/opt/pipelit\b}{$checkout}g;
$conf =~ s/\bpipelit pipelit\b/$user $group/g;
$conf =~ s/-u pipelit\b/-u $user/g;
my $conf_file = $t->dir . '/logrotate.conf';
open my $out, '>', $conf_file or die;
print $out $conf;
close $out;
chmod 0644, $conf_file;

my ($rc, $text) = run_command(cmd => [$logrotate, '-f', '-s', $t->dir . '/logrotate.state', $conf_file]);
is($rc, 0, 'logrotate -f with the printed configuration exits 0') or diag($text);

ok(-s "$var/log/pipelit.log.1", 'the pool\'s log was renamed to pipelit.log.1');
ok(wait_until(20, sub { slurp_file("$var/log/pipelit.log") =~ /received SIGHUP/ }),
	'after SIGHUP the master writes to the new pipelit.log')
	or diag(slurp_file("$var/log/pipelit.log.1"));

ok(-s "$var/nginx/access.log.1", 'nginx\'s access log was renamed to access.log.1');
is($t->get('/health')->{status}, 200, 'a request after the rotation is answered');
ok(wait_until(20, sub { slurp_file("$var/nginx/access.log") =~ m{GET /health} }),
	'after USR1 nginx writes to the new access.log');

sub slurp_file {
	my ($path) = @_;
	open my $f, '<', $path or return '';
	local $/;
	return <$f> // '';
}

done_testing();
