package catalog

import "fmt"

// parseV2 reads an AsyncAPI 2.x document. As the 2.x spec says, `subscribe` is what the
// application sends (others subscribe to it) and `publish` what it receives (others publish to
// it); ImportOptions.ReversePubSub, or x-eventlens-reverse-pubsub: true in the document, reads
// them the other way, as many files and tools do. 2.x traits override the object's own values.
func (r *reader) parseV2(root node, version string, opts ImportOptions) (*parsedDocument, error) {
	b := newBuilder(r, version)
	tags, err := r.child(root, "tags")
	if err != nil {
		return nil, err
	}
	if err := b.info(root, tags); err != nil {
		return nil, err
	}
	if err := b.servers(root, false); err != nil {
		return nil, err
	}
	reverse := opts.ReversePubSub
	if rn, err := r.child(root, "x-eventlens-reverse-pubsub"); err != nil {
		return nil, err
	} else if on, ok := rn.v.(bool); ok && on {
		reverse = !reverse
	}
	channels, err := r.child(root, "channels")
	if err != nil {
		return nil, err
	}
	cm, err := r.object(channels)
	if err != nil {
		return nil, err
	}
	for _, address := range sortedKeys(cm) {
		cn, err := r.child(channels, address)
		if err != nil {
			return nil, err
		}
		if _, err := r.object(cn); err != nil {
			return nil, err
		}
		ch, err := b.channel(cn, address)
		if err != nil {
			return nil, err
		}
		b.addChannel(ch)
		if err := b.channelServers(cn, ch, false); err != nil {
			return nil, err
		}
		for _, verb := range []string{"subscribe", "publish"} {
			on, err := r.child(cn, verb)
			if err != nil {
				return nil, err
			}
			if on.v == nil {
				continue
			}
			action := ActionSend
			if (verb == "publish") != reverse {
				action = ActionReceive
			}
			if err := b.operationV2(on, ch, action); err != nil {
				return nil, err
			}
		}
	}
	return b.doc, nil
}

// operationV2 reads a 2.x operation (publish or subscribe) of channel ch.
func (b *builder) operationV2(n node, ch Channel, action string) error {
	r := b.r
	op, err := r.withTraits(n, false, "message")
	if err != nil {
		return err
	}
	o := Operation{Service: b.doc.Service.Name, Action: action, Channel: ch.Name, Messages: []string{}}
	o.Name, _ = op["operationId"].(string)
	if o.Name == "" {
		o.Name = fmt.Sprintf("%s %s", action, ch.Name)
	}
	o.Summary, _ = op["summary"].(string)
	o.Description, _ = op["description"].(string)
	if o.Bindings, err = b.bindings(node{v: op, file: n.file, path: n.path}); err != nil {
		return err
	}
	if action == ActionReceive {
		o.ConsumerGroup = groupID(o.Bindings)
	}
	mn, err := r.deref(node{v: op["message"], file: n.file, path: childPath(n.path, "message")})
	if err != nil {
		return err
	}
	messages := []node{mn}
	if mm, ok := mn.v.(map[string]any); ok {
		if list, ok := mm["oneOf"].([]any); ok {
			messages = messages[:0]
			for i, item := range list {
				messages = append(messages, node{v: item, file: mn.file, path: fmt.Sprintf("%s.oneOf[%d]", mn.path, i)})
			}
		}
	}
	for i, m := range messages {
		if m.v == nil {
			continue
		}
		m, err := r.deref(m)
		if err != nil {
			return err
		}
		fallback := lastToken(m.ref)
		if fallback == "" {
			fallback = o.Name + "Message"
			if len(messages) > 1 {
				fallback = fmt.Sprintf("%sMessage%d", o.Name, i+1)
			}
		}
		obj, err := r.withTraits(m, false)
		if err != nil {
			return err
		}
		msg, err := b.message(m, obj, fallback, false)
		if err != nil {
			return err
		}
		if err := b.addMessage(m, msg); err != nil {
			return err
		}
		b.link(ch, msg)
		o.Messages = append(o.Messages, msg.Name)
	}
	b.doc.Operations = append(b.doc.Operations, o)
	return nil
}
