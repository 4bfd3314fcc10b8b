/**
 * The sample hosts file of `netlab demo` (the same text as test/fixtures/hosts/office.hosts,
 * which a unit test keeps equal): the corp.test office's /etc/hosts, with aliases, IPv6,
 * duplicates and the mistakes such files collect. Embedded, as test/ is not in the package.
 */
export const OFFICE_HOSTS = `# /etc/hosts of the corp.test office, the copy every machine had before DNS.
# Sample input of netlab hosts2zone (and of netlab demo): aliases, IPv6,
# duplicates copied from other machines, and the mistakes such files collect.
127.0.0.1	localhost
::1		localhost ip6-localhost ip6-loopback
ff02::1		ip6-allnodes
ff02::2		ip6-allrouters

# servers
198.51.100.1	gw.corp.test		gw router
198.51.100.10	www.corp.test		www intranet wiki
198.51.100.11	mail.corp.test		mail smtp imap
198.51.100.12	files.corp.test		files nas
198.51.100.13	print.corp.test		print
198.51.100.53	ns1.corp.test		ns1
198.51.100.54	ns2.corp.test		ns2
2001:db8:c0:1::10	www.corp.test	www
2001:db8:c0:1::11	mail.corp.test
2001:db8:c0:1::53	ns1.corp.test

# workstations
203.0.113.21	alice-pc.corp.test	alice-pc
203.0.113.22	bob-laptop.corp.test	bob-laptop
203.0.113.23	Carol-Mac.corp.test	carol-mac
203.0.113.24	dev.corp.test		dev build ci
203.0.113.25	ci.corp.test		ci	# ci has its own box now

# copied from another machine's file
198.51.100.10	www.corp.test		www intranet wiki
198.51.100.11	mail.corp.test	mail

# mistakes
198.51.100.300	broken
127.1		shorty
010.0.0.1	octal
fe80::1%en0	scoped
198.51.100.99	-dash
203.0.113.50
198.51.100.14	docs.partner.example	# outside corp.test
198.51.100.15	build_box	buildbox
`;
