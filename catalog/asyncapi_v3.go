package catalog

import (
	"fmt"
	"strings"
)

// parseV3 reads an AsyncAPI 3.0 document: channels with their messages, and operations that
// send or receive on them. 3.x traits never override the object's own values.
func (r *reader) parseV3(root node, version string) (*parsedDocument, error) {
	b := newBuilder(r, version)
	info, err := r.child(root, "info")
	if err != nil {
		return nil, err
	}
	tags, err := r.child(info, "tags")
	if err != nil {
		return nil, err
	}
	if err := b.info(root, tags); err != nil {
		return nil, err
	}
	if err := b.servers(root, true); err != nil {
		return nil, err
	}
	channels, err := r.child(root, "channels")
	if err != nil {
		return nil, err
	}
	cm, err := r.object(channels)
	if err != nil {
		return nil, err
	}
	// byKey maps a channel key to the channel and its message keys to message names, for the
	// operations' references.
	type channelMessages struct {
		channel  Channel
		messages map[string]string
		order    []string
	}
	byKey := map[string]*channelMessages{}
	for _, key := range sortedKeys(cm) {
		cn, err := r.child(channels, key)
		if err != nil {
			return nil, err
		}
		if _, err := r.object(cn); err != nil {
			return nil, err
		}
		address, err := r.str(cn, "address")
		if err != nil {
			return nil, err
		}
		if address == "" {
			address = key // a null address means "unknown or dynamic"; the key is the best name
		}
		ch, err := b.channel(cn, address)
		if err != nil {
			return nil, err
		}
		b.addChannel(ch)
		if err := b.channelServers(cn, ch, true); err != nil {
			return nil, err
		}
		entry := &channelMessages{channel: ch, messages: map[string]string{}}
		byKey[key] = entry
		mn, err := r.child(cn, "messages")
		if err != nil {
			return nil, err
		}
		mm, err := r.object(mn)
		if err != nil {
			return nil, err
		}
		for _, mkey := range sortedKeys(mm) {
			m, err := r.child(mn, mkey)
			if err != nil {
				return nil, err
			}
			obj, err := r.withTraits(m, true)
			if err != nil {
				return nil, err
			}
			msg, err := b.message(m, obj, mkey, true)
			if err != nil {
				return nil, err
			}
			if err := b.addMessage(m, msg); err != nil {
				return nil, err
			}
			b.link(ch, msg)
			entry.messages[mkey] = msg.Name
			entry.order = append(entry.order, msg.Name)
		}
	}

	operations, err := r.child(root, "operations")
	if err != nil {
		return nil, err
	}
	om, err := r.object(operations)
	if err != nil {
		return nil, err
	}
	for _, key := range sortedKeys(om) {
		on, err := r.child(operations, key)
		if err != nil {
			return nil, err
		}
		op, err := r.withTraits(on, true, "channel", "messages", "reply")
		if err != nil {
			return nil, err
		}
		o := Operation{Name: key, Service: b.doc.Service.Name, Messages: []string{}}
		if name, _ := op["x-eventlens-name"].(string); name != "" {
			o.Name = name // the name an export could not use as a key (spaces, slashes)
		}
		o.Action, _ = op["action"].(string)
		if o.Action != ActionSend && o.Action != ActionReceive {
			return nil, r.fail(node{file: on.file, path: childPath(on.path, "action")}, "%q: want send or receive", o.Action)
		}
		o.Summary, _ = op["summary"].(string)
		o.Description, _ = op["description"].(string)
		if o.Bindings, err = b.bindings(node{v: op, file: on.file, path: on.path}); err != nil {
			return nil, err
		}
		if o.Action == ActionReceive {
			o.ConsumerGroup = groupID(o.Bindings)
		}
		chAt := node{v: op["channel"], file: on.file, path: childPath(on.path, "channel")}
		chKey, err := r.localRef(chAt, "channels")
		if err != nil {
			return nil, err
		}
		entry, ok := byKey[chKey]
		if !ok {
			return nil, r.fail(chAt, "channel %q is not in this document's channels", chKey)
		}
		o.Channel = entry.channel.Name
		msAt := node{v: op["messages"], file: on.file, path: childPath(on.path, "messages")}
		switch list := msAt.v.(type) {
		case nil:
			o.Messages = append(o.Messages, entry.order...) // no list: every message of the channel
		case []any:
			for i, item := range list {
				at := node{v: item, file: msAt.file, path: fmt.Sprintf("%s[%d]", msAt.path, i)}
				mkey, err := r.localRef(at, "channels", chKey, "messages")
				if err != nil {
					return nil, err
				}
				name, ok := entry.messages[mkey]
				if !ok {
					return nil, r.fail(at, "message %q is not in channel %q", mkey, chKey)
				}
				o.Messages = append(o.Messages, name)
			}
		default:
			return nil, r.fail(msAt, "want a list of message references, found %s", describe(list))
		}
		b.doc.Operations = append(b.doc.Operations, o)
	}
	return b.doc, nil
}

// localRef reads a reference to #/<prefix...>/<key> in the document's root file and returns key.
func (r *reader) localRef(n node, prefix ...string) (string, error) {
	ref, err := r.refOf(n)
	if err != nil {
		return "", err
	}
	want := "#/" + strings.Join(prefix, "/") + "/"
	if ref == "" {
		return "", r.fail(n, "want a $ref to %s…", want)
	}
	filePart, pointer, _ := strings.Cut(ref, "#")
	if filePart != "" || n.file != r.files.root {
		return "", r.fail(n, "$ref %q: must point into this document, to %s…", ref, want)
	}
	tokens := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	if len(tokens) != len(prefix)+1 {
		return "", r.fail(n, "$ref %q: want %s<name>", ref, want)
	}
	for i, p := range prefix {
		if unescapePointer(tokens[i]) != p {
			return "", r.fail(n, "$ref %q: want %s<name>", ref, want)
		}
	}
	return unescapePointer(tokens[len(prefix)]), nil
}
