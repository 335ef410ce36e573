# Continue the numbering (and keep the revocations) of a CRL made elsewhere,
# for example by `openssl ca -gencrl`: import the CRL itself...
terraform import pgtls_crl.issuing "$(cat issuing.crl.pem)"

# ...or only its last CRL number.
terraform import pgtls_crl.issuing 42
