package finding

// MoreExposed orders findings by what the cluster exposes of them, highest first: a
// finding with an Exposure before one without, a higher Exposure.Score before a lower
// one. It compares one key (the score, -1 without an exposure), so it is a strict weak
// ordering in which findings of equal scores, and all findings without an exposure,
// are equivalent: a stable sort by it keeps their order as it was.
func MoreExposed(a, b *Finding) bool { return exposureRank(a) > exposureRank(b) }

func exposureRank(f *Finding) int {
	if f.Exposure == nil {
		return -1
	}
	return f.Exposure.Score
}
