# Security review, findings 12, 15 and 20: credential secrets.
#
#   12. custom_headers are encrypted at rest and masked in answers (the
#       provider still gets the real value; a client that sends the masks
#       back keeps them); changing base_url needs the api_key again in the
#       same request (422 otherwise, nothing changed).
#   15. Masks show at most the last 4 characters, and only of secrets of
#       12 or more characters.
#   20. A ciphertext copied into another row or column does not decrypt
#       there: a clear 503, never another row's secret.
use strict;
use warnings;
use Test::More;
use PipelitTest;
use PipelitAuth;
use FakeProvider;

need_nginx();

my $fp = FakeProvider->start;

sub cred_req {
	my ($t, $token, $method, $path, $body) = @_;
	my %o = (headers => bearer($token));
	$o{content} = $body if defined $body;
	my $res = $t->request($method, "/api/v1/credentials/$path", \%o);
	return ($res, $t->json($res) // {});
}

sub raw_text {
	my ($t, $backend) = @_;
	return $backend eq 'sqlite' ? sqlite_files_text($t) : pg_dump_text($t);
}

sub test_headers {
	my ($t, $backend, $alice, $keys) = @_;
	my $hv = 'hdr-' . random_name() . '-9876';
	my ($res, $j) = cred_req($t, $alice, 'POST', '', { name => 'h', credential_type => 'llm', detail => {
		api_key => $keys->{good}, base_url => $fp->url('/v1'), custom_headers => { 'X-Org-Key' => $hv, 'X-Short' => 'abc' } } });
	is($res->{status}, 201, 'a credential with custom headers') or return diag($res->{content});
	my $id = $j->{id};
	is_deeply($j->{detail}{custom_headers}, { 'X-Org-Key' => '****9876', 'X-Short' => '****' },
		'header values come back masked');
	unlike($res->{content}, qr/\Q$hv\E/, 'the value is nowhere in the answer');
	my $stored = $t->db_query("SELECT custom_headers FROM llm_credentials WHERE base_credentials_id = $id") // '';
	like($stored, qr/^v2:/, 'stored encrypted');
	unlike(raw_text($t, $backend), qr/\Q$hv\E/, 'the value is not in the database files in clear');

	$fp->clear_requests;
	($res, $j) = cred_req($t, $alice, 'POST', "$id/test/");
	is($j->{ok}, JSON::PP::true, 'the probe works');
	is(($fp->last_request // {})->{headers}{'x-org-key'}, $hv, 'and sends the real header value');

	($res, $j) = cred_req($t, $alice, 'PATCH', "$id/", { name => 'h2',
		detail => { custom_headers => { 'X-Org-Key' => '****9876', 'X-New' => 'new-value' } } });
	is($res->{status}, 200, 'PATCH echoing the masks') or diag($res->{content});
	$fp->clear_requests;
	cred_req($t, $alice, 'POST', "$id/test/");
	my $h = ($fp->last_request // {})->{headers} // {};
	is($h->{'x-org-key'}, $hv, 'a header sent back as its mask keeps its value');
	is($h->{'x-new'}, 'new-value', 'a new header is taken');

	# base_url: not without the key.
	my $other = 'http://127.0.0.1:' . free_port() . '/v1';
	($res, $j) = cred_req($t, $alice, 'PATCH', "$id/", { detail => { base_url => $other } });
	is($res->{status}, 422, 'a new base_url without api_key: 422') or diag($res->{content});
	like($res->{content}, qr/api_key/, 'the detail names api_key');
	(undef, $j) = cred_req($t, $alice, 'GET', "$id/");
	is($j->{detail}{base_url}, $fp->url('/v1'), 'nothing changed');
	($res, $j) = cred_req($t, $alice, 'PATCH', "$id/", { detail => { base_url => $fp->url('/v1'), organization_id => 'o' } });
	is($res->{status}, 200, 'the same base_url needs no key');
	($res, $j) = cred_req($t, $alice, 'PATCH', "$id/", { detail => { base_url => $other, api_key => 'another-key-0000' } });
	is($res->{status}, 200, 'a new base_url with the key: 200');
	is($j->{detail}{base_url}, $other, 'and it is set');
}

sub test_masks {
	my ($t, $alice) = @_;
	my %cases = ('12345678' => '****', 'abcdefghijk' => '****', 'abcdefghijkl' => '****ijkl',
		'sk-live-0123456789abcdef' => '****cdef');
	for my $key (sort keys %cases) {
		my ($res, $j) = cred_req($t, $alice, 'POST', '', { name => "m$key", credential_type => 'llm',
			detail => { api_key => $key } });
		is($j->{detail}{api_key}, $cases{$key}, sprintf('a %d-character key shows as %s', length $key, $cases{$key}));
	}
	my ($res, $j) = cred_req($t, $alice, 'POST', '', { name => 'g', credential_type => 'git',
		detail => { access_token => 'ghp_abcd' } });
	is($j->{detail}{access_token}, '****', 'an 8-character token shows nothing');
}

sub test_moved_ciphertext {
	my ($t, $alice, $bob) = @_;
	my ($res, $a) = cred_req($t, $alice, 'POST', '', { name => 'a', credential_type => 'llm',
		detail => { api_key => 'alice-secret-key-aaaa' } });
	my ($res2, $b) = cred_req($t, $bob, 'POST', '', { name => 'b', credential_type => 'llm',
		detail => { api_key => 'bob-secret-key-bbbb' } });
	ok($a->{id} && $b->{id}, 'two users\' credentials') or return;
	my $src = "(SELECT api_key FROM llm_credentials WHERE base_credentials_id = $a->{id})";
	ok(defined $t->db_query("UPDATE llm_credentials SET api_key = $src WHERE base_credentials_id = $b->{id}"),
		'alice\'s ciphertext copied into bob\'s row');
	($res, my $j) = cred_req($t, $bob, 'GET', "$b->{id}/");
	is($res->{status}, 503, 'bob\'s credential does not decrypt: 503');
	unlike($res->{content}, qr/aaaa/, 'alice\'s secret is not shown to bob');
	like($j->{detail} // '', qr/cannot be decrypted/, 'a clear detail');
	($res) = cred_req($t, $bob, 'POST', "$b->{id}/test/");
	is($res->{status}, 503, 'nor is it sent anywhere by a probe');

	ok(defined $t->db_query("UPDATE llm_credentials SET custom_headers = api_key WHERE base_credentials_id = $a->{id}"),
		'alice\'s api_key ciphertext copied into her headers column');
	($res) = cred_req($t, $alice, 'GET', "$a->{id}/");
	is($res->{status}, 503, 'another column does not decrypt either');
}

# Headers stored in clear before they were encrypted are sealed by the
# data step at the next start.
sub test_data_step {
	my ($t, $alice) = @_;
	my ($res, $c) = cred_req($t, $alice, 'POST', '', { name => 'legacy', credential_type => 'llm',
		detail => { api_key => 'legacy-api-key-0000' } });
	ok(defined $t->db_query("UPDATE llm_credentials SET custom_headers = '{\"X-Legacy\":\"legacy-value-1234\"}' "
		. "WHERE base_credentials_id = $c->{id}"), 'headers written in clear, as before');
	ok($t->restart, 'a restart');
	like($t->db_query("SELECT custom_headers FROM llm_credentials WHERE base_credentials_id = $c->{id}") // '',
		qr/^v2:/, 'the start-up data step sealed them');
	(undef, my $j) = cred_req($t, $alice, 'GET', "$c->{id}/");
	is_deeply($j->{detail}{custom_headers}, { 'X-Legacy' => '****1234' }, 'and they read back');
}

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my %keys = (good => 'good-' . random_name() . random_name());
	my $t = PipelitTest->started(db_url => $db_url, env => { PIPELIT_OUTBOUND_ALLOW => '127.0.0.1' }) or return;
	my $alice = make_user($t, 'alice', 'alice-pass-1', 'normal') or return;
	my $bob = make_user($t, 'bob', 'bob-pass-1', 'normal') or return;
	subtest 'custom headers and base_url' => sub { test_headers($t, $backend, $alice, \%keys) };
	subtest 'masks' => sub { test_masks($t, $alice) };
	subtest 'a moved ciphertext' => sub { test_moved_ciphertext($t, $alice, $bob) };
	subtest 'the data step' => sub { test_data_step($t, $alice) };
	$t->stop;
});

$fp->stop;
done_testing;
