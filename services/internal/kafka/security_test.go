package kafka

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kfake"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/bloody-sweet/platform/services/events"
	"github.com/bloody-sweet/platform/services/internal/telemetry"
)

// TestTLSAndSCRAM runs the services' producer, consumer and topic creation
// against a broker that only speaks TLS with SCRAM-SHA-512 users, the way
// a managed cluster does: the settings reach every client. A wrong password
// and a plaintext client are refused.
func TestTLSAndSCRAM(t *testing.T) {
	t.Parallel()
	serverTLS, roots := selfSigned(t)
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.TLS(serverTLS), kfake.EnableSASL(),
		kfake.Superuser("SCRAM-SHA-512", "orders", "s3cret"), kfake.DefaultNumPartitions(events.Partitions),
		kfake.GroupMinSessionTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	brokers := c.ListenAddrs()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	secure := func(pass string) Security {
		s, err := NewSecurity(ctx, SecurityConfig{TLS: true, SASL: SASLScramSHA512, Username: "orders", Password: pass})
		if err != nil {
			t.Fatal(err)
		}
		s.TLS.RootCAs = roots
		return s
	}
	sec := secure("s3cret")
	topic := events.TopicPayment
	if err := EnsureTopics(ctx, brokers, sec, 1, topic); err != nil {
		t.Fatalf("create topics over TLS+SCRAM: %v", err)
	}
	if err := EnsureTopics(ctx, brokers, sec, 1, topic); err != nil {
		t.Fatalf("creating an existing topic again: %v", err)
	}

	m := telemetry.NewKafka(prometheus.NewRegistry(), []string{topic}, []string{topic}, events.Partitions)
	tracer := noop.NewTracerProvider().Tracer("")
	p := NewProducer(brokers, tracer, m, ProducerOptions{Security: sec})
	defer p.Close()
	ev, err := events.New(events.PaymentAuthorized, "o-1", time.Now(), events.PaymentData{OrderRef: events.OrderRef{OrderID: "o-1", StoreID: "store-1"}, AmountCents: 100})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := events.Encode(ev)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Publish(ctx, []Outgoing{{Topic: topic, Key: "o-1", Value: raw}}); err != nil {
		t.Fatalf("publish over TLS+SCRAM: %v", err)
	}
	got := make(chan string, 1)
	cons := NewConsumer(ConsumerOptions{
		Brokers: brokers, Group: "g", Topics: []string{topic}, Security: sec, DLQ: p,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Tracer: tracer, Metrics: m,
	}, func(_ context.Context, batch []Delivery) error {
		for _, d := range batch {
			got <- d.Event.Subject
		}
		return nil
	})
	cctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- cons.Run(cctx) }()
	select {
	case subject := <-got:
		if subject != "o-1" {
			t.Errorf("consumed subject %q, want o-1", subject)
		}
	case <-ctx.Done():
		t.Fatal("nothing consumed over TLS+SCRAM")
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("consumer: %v", err)
	}

	short, cancelShort := context.WithTimeout(ctx, 5*time.Second)
	defer cancelShort()
	if err := EnsureTopics(short, brokers, secure("wrong"), 1, "t2"); err == nil {
		t.Error("a wrong SCRAM password was accepted")
	}
	if err := EnsureTopics(short, brokers, Security{}, 1, "t3"); err == nil {
		t.Error("a plaintext client was served by a TLS broker")
	}
}

func TestNewSecurityRefusesUnsafeOrUnknown(t *testing.T) {
	for _, tc := range []struct {
		cfg  SecurityConfig
		want string
	}{
		{SecurityConfig{SASL: SASLAWSMSKIAM}, "needs KAFKA_TLS=true"},
		{SecurityConfig{TLS: true, SASL: SASLScramSHA512}, "needs KAFKA_USERNAME and KAFKA_PASSWORD"},
		{SecurityConfig{TLS: true, SASL: "gssapi"}, `KAFKA_SASL "gssapi"`},
	} {
		if _, err := NewSecurity(context.Background(), tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewSecurity(%+v) = %v, want an error with %q", tc.cfg, err, tc.want)
		}
	}
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	s, err := NewSecurity(context.Background(), SecurityConfig{TLS: true, SASL: SASLAWSMSKIAM})
	if err != nil || s.TLS == nil || s.SASL == nil || s.SASL.Name() != "AWS_MSK_IAM" {
		t.Errorf("MSK IAM security = %+v, %v; want TLS and the AWS_MSK_IAM mechanism", s, err)
	}
}

// selfSigned returns a server TLS config for 127.0.0.1 and a pool trusting it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kfake"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}, pool
}
