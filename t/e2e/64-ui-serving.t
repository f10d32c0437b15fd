#!/usr/bin/perl
# How nginx serves the UI make built ($(builddir)/www): index.html for /
# and every page path, revalidated on every load (no-cache); the hashed
# files under /assets/ kept for a year (immutable); a missing asset a 404,
# never index.html; the page has no inline script (CSP script-src 'self');
# the API keeps its own no-store.  With the placeholder (make without npm)
# only the page's checks apply.
use strict;
use warnings;

use Test::More;
use PipelitTest;

need_nginx();

my $source = PipelitTest::slurp(www_dir() . '/.ui-source');
my $built = $source =~ /^(?:built|shipped)\b/;
diag("the UI in " . www_dir() . ": " . ($source =~ /^(\S[^\n]*)/ ? $1 : 'nothing')) unless $built;

for_each_backend(sub {
	my ($backend, $db_url) = @_;
	my $t = PipelitTest->started(db_url => $db_url) or return;

	my $page = $t->get('/');
	is($page->{status}, 200, '/ answers');
	like($page->{content}, qr{<title>Pipelit</title>}, '/ is the UI page');
	is($page->{headers}{'cache-control'}, 'no-cache', 'the page is revalidated on every load');
	ok($page->{headers}{etag}, 'with an ETag, so a revalidation is a 304');
	my $again = $t->get('/', { 'If-None-Match' => $page->{headers}{etag} // '' });
	is($again->{status}, 304, 'an unchanged page is a 304');
	my $deep = $t->get('/workflows/some-workflow');
	is($deep->{content}, $page->{content}, 'a page path is the same page');
	is($deep->{headers}{'cache-control'}, 'no-cache', 'also revalidated');
	my @inline = $page->{content} =~ m{<script\b(?![^>]*\bsrc=)[^>]*>}gi;
	is_deeply(\@inline, [], 'no inline script (CSP: script-src self)');

	is($t->get('/api/v1/auth/setup-status/')->{headers}{'cache-control'}, 'no-store', 'the API keeps no-store');

	my $missing = $t->get('/assets/index-0000000000.js');
	is($missing->{status}, 404, 'a missing asset is a 404');
	unlike($missing->{content} // '', qr{<title>Pipelit</title>}, 'not the page');

	SKIP: {
		skip 'the UI is the placeholder: no built assets', 5 unless $built;
		my ($script) = $page->{content} =~ m{<script type="module"[^>]* src="(/assets/[^"]+\.js)"};
		ok($script, 'the page loads its script from /assets/') or diag($page->{content});
		my $js = $t->get($script // '/assets/none.js');
		is($js->{status}, 200, 'the script answers');
		like($js->{headers}{'content-type'} // '', qr{^application/javascript}, 'as JavaScript');
		is($js->{headers}{'cache-control'}, 'public, max-age=31536000, immutable', 'kept for a year');
		like($js->{headers}{'content-security-policy'} // '', qr/script-src 'self'/, 'with the security headers');
	}
});

done_testing;
