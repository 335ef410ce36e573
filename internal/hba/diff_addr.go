package hba

import (
	"fmt"
	"net/netip"
	"sort"
)

// addrRange is a range of client addresses every line of either list
// treats alike, with the lines that can match it.
type addrRange struct {
	lo, hi netip.Addr
	a, b   []*matchRule
}

// addressRanges divides the TCP address space by the lines' CIDRs (and,
// with known interfaces, samehost/samenet networks) and, for each range,
// keeps the lines that may match it. The lines of one class are few: each
// range is checked against each of them.
func addressRanges(c *diffCtx, ra, rb []*matchRule) ([]addrRange, error) {
	n := len(ra) + len(rb)
	rule := func(i int) *matchRule {
		if i < len(ra) {
			return ra[i]
		}
		return rb[i-len(ra)]
	}
	prefixes := make([][]netip.Prefix, n)
	bound := make([]bool, n) // the line matches only inside its prefixes
	var bounds4, bounds6 []netip.Addr
	for i := 0; i < n; i++ {
		r := rule(i)
		m := c.matcherOf(i < len(ra))
		ps, err := rulePrefixes(r, m)
		if err != nil {
			return nil, err
		}
		prefixes[i] = ps
		bound[i] = r.addr.kind == addrMask || ((r.addr.kind == addrSameHost || r.addr.kind == addrSameNet) && m.env.Interfaces != nil)
		for _, p := range ps {
			b := &bounds6
			if p.Addr().Is4() {
				b = &bounds4
			}
			*b = append(*b, p.Addr())
			if nx := lastAddr(p).Next(); nx.IsValid() {
				*b = append(*b, nx)
			}
		}
	}
	var out []addrRange
	for fi, fam := range []netip.Prefix{netip.PrefixFrom(netip.IPv4Unspecified(), 0), netip.PrefixFrom(netip.IPv6Unspecified(), 0)} {
		bounds := append([]netip.Addr{fam.Addr()}, [][]netip.Addr{bounds4, bounds6}[fi]...)
		sort.Slice(bounds, func(i, j int) bool { return bounds[i].Less(bounds[j]) })
		bounds = uniqueAddrs(bounds)
		last := lastAddr(fam)
		for bi, lo := range bounds {
			if !lo.Is4() && fi == 0 {
				continue
			}
			hi := last
			if bi+1 < len(bounds) {
				hi = bounds[bi+1].Prev()
			}
			var la, lb []*matchRule
			for i := 0; i < n; i++ {
				keep := !bound[i]
				for _, p := range prefixes[i] {
					if p.Contains(lo) {
						keep = true
						break
					}
				}
				if !keep {
					continue
				}
				if i < len(ra) {
					la = append(la, ra[i])
				} else {
					lb = append(lb, rb[i-len(ra)])
				}
			}
			if k := len(out); k > 0 && out[k-1].lo.Is4() == lo.Is4() && sameRules(out[k-1].a, la) && sameRules(out[k-1].b, lb) {
				out[k-1].hi = hi
				continue
			}
			out = append(out, addrRange{lo: lo, hi: hi, a: la, b: lb})
		}
	}
	return out, nil
}

func (c *diffCtx) matcherOf(before bool) *Matcher {
	if before {
		return c.a
	}
	return c.b
}

// rulePrefixes returns the CIDRs of a mask line (a line of another address
// kind has none: it is kept for every range). samehost and samenet with
// known interfaces become the interfaces' addresses and networks.
func rulePrefixes(r *matchRule, m *Matcher) ([]netip.Prefix, error) {
	if r.rule.Type == Local {
		return nil, nil
	}
	switch r.addr.kind {
	case addrMask:
		if !r.addr.prefix.IsValid() {
			return nil, fmt.Errorf("line %d: netmask %s is not contiguous; the access diff needs CIDR ranges", r.line, r.addr.mask)
		}
		return []netip.Prefix{r.addr.prefix}, nil
	case addrSameHost, addrSameNet:
		// Known interfaces: their addresses (samehost) or networks
		// (samenet) split the ranges; the line is decided per range.
		var out []netip.Prefix
		for _, ifa := range m.env.Interfaces {
			if r.addr.kind == addrSameHost {
				out = append(out, netip.PrefixFrom(ifa.Addr(), ifa.Addr().BitLen()))
			} else {
				out = append(out, ifa.Masked())
			}
		}
		return out, nil
	}
	return nil, nil
}

func sameRules(a, b []*matchRule) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].index != b[i].index {
			return false
		}
	}
	return true
}

func uniqueAddrs(in []netip.Addr) []netip.Addr {
	out := in[:0]
	for i, a := range in {
		if i == 0 || a != in[i-1] {
			out = append(out, a)
		}
	}
	return out
}

// lastAddr is the last address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	p = p.Masked()
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> uint(i%8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// u128 is an address as a 128-bit number (IPv4 in the low 32 bits).
type u128 struct{ hi, lo uint64 }

func toU128(a netip.Addr) u128 {
	if a.Is4() {
		b := a.As4()
		return u128{lo: uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])}
	}
	b := a.As16()
	var x u128
	for i := 0; i < 8; i++ {
		x.hi = x.hi<<8 | uint64(b[i])
		x.lo = x.lo<<8 | uint64(b[8+i])
	}
	return x
}

func fromU128(x u128, v4 bool) netip.Addr {
	if v4 {
		return netip.AddrFrom4([4]byte{byte(x.lo >> 24), byte(x.lo >> 16), byte(x.lo >> 8), byte(x.lo)})
	}
	var b [16]byte
	for i := 0; i < 8; i++ {
		b[7-i] = byte(x.hi >> (8 * i))
		b[15-i] = byte(x.lo >> (8 * i))
	}
	return netip.AddrFrom16(b)
}

func (x u128) less(y u128) bool { return x.hi < y.hi || x.hi == y.hi && x.lo < y.lo }

func (x u128) sub(y u128) u128 {
	lo := x.lo - y.lo
	hi := x.hi - y.hi
	if x.lo < y.lo {
		hi--
	}
	return u128{hi, lo}
}

func (x u128) addOne() u128 {
	if x.lo == ^uint64(0) {
		return u128{x.hi + 1, 0}
	}
	return u128{x.hi, x.lo + 1}
}

// trailingZeros of x (128 for zero).
func (x u128) trailingZeros() int {
	if x.lo != 0 {
		return bitsTrailing(x.lo)
	}
	if x.hi != 0 {
		return 64 + bitsTrailing(x.hi)
	}
	return 128
}

func bitsTrailing(v uint64) int {
	n := 0
	for v&1 == 0 {
		v >>= 1
		n++
	}
	return n
}

// log2Floor of x+1 (the largest k with 2^k <= x+1), for x < 2^128-1.
func sizeLog(span u128) int {
	// span is hi-lo; the block may hold span+1 addresses.
	n := span.addOne()
	if n.hi == 0 && n.lo == 0 { // span covers the whole space
		return 128
	}
	if n.hi != 0 {
		return 64 + 63 - leadingZeros(n.hi)
	}
	return 63 - leadingZeros(n.lo)
}

func leadingZeros(v uint64) int {
	n := 0
	for i := 63; i >= 0 && v&(1<<uint(i)) == 0; i-- {
		n++
	}
	return n
}

// rangePrefixes covers [lo, hi] (one family) with the fewest CIDRs.
func rangePrefixes(lo, hi netip.Addr) []netip.Prefix {
	v4 := lo.Is4()
	width := 128
	if v4 {
		width = 32
	}
	x, y := toU128(lo), toU128(hi)
	var out []netip.Prefix
	for {
		k := x.trailingZeros()
		if k > width {
			k = width
		}
		if s := sizeLog(y.sub(x)); s < k {
			k = s
		}
		out = append(out, netip.PrefixFrom(fromU128(x, v4), width-k))
		// next = x + 2^k
		var step u128
		if k >= 64 {
			step = u128{hi: 1 << uint(k-64)}
		} else {
			step = u128{lo: 1 << uint(k)}
		}
		last := u128{x.hi + step.hi, x.lo + step.lo}
		if last.lo < x.lo {
			last.hi++
		}
		end := last.sub(u128{lo: 1})
		if !end.less(y) { // end >= y
			return out
		}
		x = last
	}
}
