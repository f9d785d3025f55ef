package jsonschema

// Object and array comparison. Whether a property or item may be added or removed depends on
// the content model: open (anything else allowed), partially open (anything else must match a
// schema: additionalProperties, a patternProperties entry or unevaluatedProperties) or closed.

func (c *diffContext) compareObject(original, update *node) {
	c.compareRequired(original, update)
	c.compareProperties(original, update)
	c.compareDependencies(original, update)
	c.compareAdditionalProperties(original, update)
	c.compareUnevaluated("unevaluatedProperties", "UNEVALUATED_PROPERTIES", original.unevaluatedProps, update.unevaluatedProps)
	c.compareLimit("maxProperties", "MAX_PROPERTIES", original.maxProperties, update.maxProperties)
	c.compareLimit("minProperties", "MIN_PROPERTIES", original.minProperties, update.minProperties)
}

func (c *diffContext) compareRequired(original, update *node) {
	c.enter("required")
	defer c.leave()
	for _, name := range sortedKeys(original.properties) {
		u, ok := update.properties[name]
		if !ok {
			continue
		}
		was, is := original.required[name], update.required[name]
		lacked := c.enterProperty(name, original, update)
		switch {
		case was && !is:
			c.add("REQUIRED_ATTRIBUTE_REMOVED")
		case !was && is && u.defaultValue != nil:
			c.add("REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED")
		case !was && is:
			c.add("REQUIRED_ATTRIBUTE_ADDED")
		}
		c.leaveProperty(lacked)
	}
}

func unionKeys[V any](a, b map[string]V) []string {
	m := map[string]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return sortedKeys(m)
}

func (c *diffContext) compareProperties(original, update *node) {
	c.enter("properties")
	defer c.leave()
	for _, name := range unionKeys(original.properties, update.properties) {
		lacked := c.enterProperty(name, original, update)
		o, u := original.properties[name], update.properties[name]
		switch {
		case u == nil:
			c.propertyRemoved(o, update, name)
		case o == nil:
			c.propertyAdded(original, update, u, name)
		default:
			c.compare(o, u)
		}
		c.leaveProperty(lacked)
	}
}

// propertyRemoved judges a property the update no longer lists by the update's content model.
func (c *diffContext) propertyRemoved(o, update *node, name string) {
	if openObject(update) {
		c.add("PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL")
		return
	}
	if partial := partialObjectSchema(update, name); partial != nil {
		sub := c.sub()
		sub.compare(o, partial)
		c.changes = append(c.changes, sub.changes...)
		if sub.compatible() {
			c.add("PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
		} else {
			c.add("PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
		}
		return
	}
	if o.kind == kindFalse {
		c.add("PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL")
	} else {
		c.add("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL")
	}
}

// propertyAdded judges a new property by the original's content model.
func (c *diffContext) propertyAdded(original, update, u *node, name string) {
	required := update.required[name]
	if openObject(original) {
		switch {
		case u.isEmpty():
			c.add("PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL")
		case required && u.defaultValue != nil:
			c.add("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL")
		case required:
			c.add("REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL")
		default:
			c.add("OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL")
		}
		return
	}
	if partial := partialObjectSchema(original, name); partial != nil {
		sub := c.sub()
		sub.compare(partial, u)
		c.changes = append(c.changes, sub.changes...)
		if sub.compatible() {
			c.add("PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
		} else {
			c.add("PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
		}
	}
	switch {
	case required && u.defaultValue != nil:
		c.add("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL")
	case required:
		c.add("REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL")
	default:
		c.add("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL")
	}
}

func openObject(n *node) bool {
	return n.permitsAdditionalProperties() && n.additionalProperties == nil && len(n.patternProperties) == 0 &&
		(n.unevaluatedProps == nil || n.unevaluatedProps.isEmpty())
}

func partialObjectSchema(n *node, name string) *node {
	for _, p := range n.patternProperties {
		if p.re != nil && p.re.MatchString(name) {
			return p.schema
		}
	}
	if n.additionalProperties != nil {
		return n.additionalProperties
	}
	if n.permitsAdditionalProperties() && n.unevaluatedProps != nil &&
		n.unevaluatedProps.kind != kindFalse && !n.unevaluatedProps.isEmpty() {
		return n.unevaluatedProps
	}
	return nil
}

func (c *diffContext) compareDependencies(original, update *node) {
	c.enter("dependencies")
	defer c.leave()
	for _, name := range unionKeys(original.propertyDeps, update.propertyDeps) {
		o, u := original.propertyDeps[name], update.propertyDeps[name]
		switch {
		case u == nil:
			c.addAt(name, "DEPENDENCY_ARRAY_REMOVED")
		case o == nil:
			c.addAt(name, "DEPENDENCY_ARRAY_ADDED")
		case sameSet(o, u):
		case subset(o, u):
			c.addAt(name, "DEPENDENCY_ARRAY_EXTENDED")
		case subset(u, o):
			c.addAt(name, "DEPENDENCY_ARRAY_NARROWED")
		default:
			c.addAt(name, "DEPENDENCY_ARRAY_CHANGED")
		}
	}
	for _, name := range unionKeys(original.schemaDeps, update.schemaDeps) {
		o, u := original.schemaDeps[name], update.schemaDeps[name]
		c.enter(name)
		switch {
		case u == nil:
			c.add("DEPENDENCY_SCHEMA_REMOVED")
		case o == nil:
			c.add("DEPENDENCY_SCHEMA_ADDED")
		default:
			c.compare(o, u)
		}
		c.leave()
	}
}

func (c *diffContext) compareAdditionalProperties(original, update *node) {
	c.enter("additionalProperties")
	defer c.leave()
	switch {
	case original.permitsAdditionalProperties() != update.permitsAdditionalProperties():
		if update.permitsAdditionalProperties() {
			c.add("ADDITIONAL_PROPERTIES_ADDED")
		} else {
			c.add("ADDITIONAL_PROPERTIES_REMOVED")
		}
	case original.additionalProperties == nil && update.additionalProperties != nil:
		c.add("ADDITIONAL_PROPERTIES_NARROWED")
	case original.additionalProperties != nil && update.additionalProperties == nil:
		c.add("ADDITIONAL_PROPERTIES_EXTENDED")
	default:
		c.compare(original.additionalProperties, update.additionalProperties)
	}
}

// compareUnevaluated compares unevaluatedProperties or unevaluatedItems.
func (c *diffContext) compareUnevaluated(attr, prefix string, o, u *node) {
	if o == nil && u == nil {
		return
	}
	c.enter(attr)
	defer c.leave()
	switch {
	case o == nil && u.kind == kindFalse:
		c.add(prefix + "_REMOVED")
	case o == nil:
		c.add(prefix + "_NARROWED")
	case u == nil && o.kind == kindFalse:
		c.add(prefix + "_ADDED")
	case u == nil:
		c.add(prefix + "_EXTENDED")
	case o.kind == kindFalse && u.kind != kindFalse:
		c.add(prefix + "_ADDED")
	case o.kind != kindFalse && u.kind == kindFalse:
		c.add(prefix + "_REMOVED")
	case o.isEmpty() && !u.isEmpty():
		c.add(prefix + "_NARROWED")
	case !o.isEmpty() && u.isEmpty():
		c.add(prefix + "_EXTENDED")
	default:
		c.compare(o, u)
	}
}

func (c *diffContext) compareArray(original, update *node) {
	c.enter("items")
	c.compare(original.allItems, update.allItems)
	c.leave()
	c.compareItemList(original, update)
	c.compareAdditionalItems(original, update)
	c.compareUnevaluated("unevaluatedItems", "UNEVALUATED_ITEMS", original.unevaluatedItems, update.unevaluatedItems)
	c.compareLimit("maxItems", "MAX_ITEMS", original.maxItems, update.maxItems)
	c.compareLimit("minItems", "MIN_ITEMS", original.minItems, update.minItems)
	if original.uniqueItems != update.uniqueItems {
		if original.uniqueItems {
			c.addAt("uniqueItems", "UNIQUE_ITEMS_REMOVED")
		} else {
			c.addAt("uniqueItems", "UNIQUE_ITEMS_ADDED")
		}
	}
	c.compareLimit("maxContains", "MAX_CONTAINS", original.maxContains, update.maxContains)
	c.compareLimit("minContains", "MIN_CONTAINS", original.minContains, update.minContains)
}

func (c *diffContext) compareItemList(original, update *node) {
	o, u := original.itemSchemas, update.itemSchemas
	lacked := c.lacks
	for i := 0; i < len(o) || i < len(u); i++ {
		// A schema lacking the item is located at its array.
		c.lacks = lacked.lacking(i >= len(o), i >= len(u), c.pathString())
		c.enter("items/" + itoa(i))
		switch {
		case i < len(o) && i < len(u):
			c.compare(o[i], u[i])
		case i < len(o):
			c.itemRemoved(o[i], update)
		default:
			c.itemAdded(original, u[i])
		}
		c.leave()
	}
	c.lacks = lacked
}

func (c *diffContext) itemRemoved(o, update *node) {
	if openArray(update) {
		c.add("ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL")
		return
	}
	if partial := partialArraySchema(update); partial != nil {
		sub := c.sub()
		sub.compare(o, partial)
		c.changes = append(c.changes, sub.changes...)
		if sub.compatible() {
			c.add("ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
		} else {
			c.add("ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
		}
		return
	}
	if o.kind == kindFalse {
		c.add("ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL")
	} else {
		c.add("ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL")
	}
}

func (c *diffContext) itemAdded(original, u *node) {
	if openArray(original) {
		if u.isEmpty() {
			c.add("ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL")
		} else {
			c.add("ITEM_ADDED_TO_OPEN_CONTENT_MODEL")
		}
		return
	}
	if partial := partialArraySchema(original); partial != nil {
		sub := c.sub()
		sub.compare(partial, u)
		c.changes = append(c.changes, sub.changes...)
		if sub.compatible() {
			c.add("ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
		} else {
			c.add("ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
		}
		return
	}
	c.add("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL")
}

func openArray(n *node) bool {
	return n.permitsAdditionalItems() && n.additionalItems == nil &&
		(n.unevaluatedItems == nil || n.unevaluatedItems.isEmpty())
}

func partialArraySchema(n *node) *node {
	if n.additionalItems != nil {
		return n.additionalItems
	}
	if n.permitsAdditionalItems() && n.unevaluatedItems != nil &&
		n.unevaluatedItems.kind != kindFalse && !n.unevaluatedItems.isEmpty() {
		return n.unevaluatedItems
	}
	return nil
}

func (c *diffContext) compareAdditionalItems(original, update *node) {
	c.enter("additionalItems")
	defer c.leave()
	switch {
	case original.permitsAdditionalItems() != update.permitsAdditionalItems():
		if original.permitsAdditionalItems() {
			c.add("ADDITIONAL_ITEMS_REMOVED")
		} else {
			c.add("ADDITIONAL_ITEMS_ADDED")
		}
	case original.additionalItems == nil && update.additionalItems != nil:
		c.add("ADDITIONAL_ITEMS_NARROWED")
	case original.additionalItems != nil && update.additionalItems == nil:
		c.add("ADDITIONAL_ITEMS_EXTENDED")
	default:
		c.compare(original.additionalItems, update.additionalItems)
	}
}
