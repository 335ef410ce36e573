package provider

// Generic schema and value helpers shared by resources and data sources.

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func computedString(desc string) schema.StringAttribute {
	return schema.StringAttribute{Computed: true, MarkdownDescription: desc}
}

func mergeAttributes(maps ...map[string]schema.Attribute) map[string]schema.Attribute {
	out := map[string]schema.Attribute{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func stringListAttribute(desc string, elem ...validator.String) schema.ListAttribute {
	return schema.ListAttribute{
		MarkdownDescription: desc,
		ElementType:         types.StringType,
		Optional:            true,
		Validators:          []validator.List{listvalidator.ValueStringsAre(elem...), listvalidator.UniqueValues()},
	}
}

func humanHours(h int64) string {
	n, unit := h, "hour"
	switch {
	case h != 0 && h%(365*24) == 0:
		n, unit = h/(365*24), "year"
	case h != 0 && h%24 == 0:
		n, unit = h/24, "day"
	}
	if n != 1 {
		unit += "s"
	}
	return fmt.Sprintf("%d %s", n, unit)
}

func backtickList(vals []string) string {
	out := ""
	for i, v := range vals {
		if i > 0 {
			out += ", "
		}
		out += "`" + v + "`"
	}
	return out
}

// stringsOf returns the elements of a known list of strings.
func stringsOf(ctx context.Context, l types.List, diags *diag.Diagnostics) []string {
	if l.IsNull() || l.IsUnknown() {
		return nil
	}
	var out []string
	diags.Append(l.ElementsAs(ctx, &out, false)...)
	return out
}

func prefixesOf(ctx context.Context, l types.List, diags *diag.Diagnostics) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range stringsOf(ctx, l, diags) {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			continue // refused by the validator
		}
		out = append(out, p.Masked())
	}
	return out
}

func addrsOf(ctx context.Context, l types.List, diags *diag.Diagnostics) []netip.Addr {
	var out []netip.Addr
	for _, s := range stringsOf(ctx, l, diags) {
		a, err := netip.ParseAddr(s)
		if err != nil {
			continue // refused by the validator
		}
		out = append(out, a)
	}
	return out
}

// listKnown reports whether a list and all its elements are known.
func listKnown(l types.List) bool {
	if l.IsUnknown() {
		return false
	}
	for _, e := range l.Elements() {
		if e.IsUnknown() {
			return false
		}
	}
	return true
}
