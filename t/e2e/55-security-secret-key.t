# Security review, finding 3: no default SECRET_KEY.
#
# Without SECRET_KEY, the first start generates a random key and keeps it
# in <data dir>/secret_key (0600); restarts keep it.  A configured key that
# is a publicly known default is refused with a clear message.  Hosts that
# share one database must share the key: the first records a fingerprint
# of it in the database, and a host with another key refuses to start,
# while one with the same key starts.
use strict;
use warnings;
use Test::More;
use PipelitTest;

need_nginx();

sub key_file { "$_[0]/data/secret_key" }

sub read_key {
	my ($t) = @_;
	open my $fh, '<', key_file($t->dir) or return '';
	my $k = <$fh> // '';
	chomp $k;
	return $k;
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $a = PipelitTest->started(db_url => $db_url, env => { SECRET_KEY => undef },
		name => 'a host without SECRET_KEY starts') or return;
	my $file = key_file($a->dir);
	ok(-f $file, 'it generated data/secret_key');
	is((stat $file)[2] & 07777, 0600, 'readable by the pool\'s user only');
	my $key = read_key($a);
	like($key, qr/^[0-9a-f]{64}$/, '32 random bytes');
	my $fp = $a->db_query("SELECT fingerprint FROM key_fingerprints WHERE name = 'SECRET_KEY'") // '';
	like($fp, qr/^[0-9a-f]{64}$/, 'the database records a fingerprint of the key');
	isnt($fp, $key, 'not the key itself');
	ok($a->restart, 'a restart');
	is(read_key($a), $key, 'keeps the same key');

	my $b = PipelitTest->new(db_url => $db_url, nginx => 0,
		env => { SECRET_KEY => 'another-hosts-own-long-random-key-0123456789' });
	ok(!$b->start, 'a second host with another SECRET_KEY on the same database does not start');
	isnt($b->wait_exit(30), 0, 'it exits with an error');
	like($b->log_text, qr/SECRET_KEY differs from the key recorded in the database/,
		'and says why') or diag($b->log_tail);
	unlike($b->log_text, qr/\Q$key\E|another-hosts-own/, 'without printing either key');

	my $c = PipelitTest->new(db_url => $db_url, nginx => 0, env => { SECRET_KEY => $key });
	ok($c->start, 'a second host with the same key starts') or diag($c->log_tail);
	$c->stop;

	for my $default ('change-me-in-production', 'change-me') {
		my $d = PipelitTest->new(db_url => $db_url, nginx => 0, env => { SECRET_KEY => $default });
		ok(!$d->start, "SECRET_KEY=$default: the pool does not start");
		like($d->log_text, qr/SECRET_KEY is a publicly known default/, 'with a clear message')
			or diag($d->log_tail);
		my ($rc, $out) = $d->pipelit('db', 'current');
		isnt($rc, 0, "SECRET_KEY=$default: the CLI refuses it too");
	}
	$a->stop;
});

done_testing;
