// Package textdiff compares two texts line by line with Myers' O(ND) algorithm and lays the
// result out side by side, the way the console shows two versions of a schema.
package textdiff
