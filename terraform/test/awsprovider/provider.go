package awsprovider

import (
	"context"
	"fmt"
	"sync"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// Server implements tfprotov6.ProviderServer over the extracted schema.
type Server struct {
	schemas *Schemas

	mu          sync.Mutex
	defaultTags map[string]string
}

var _ tfprotov6.ProviderServer = (*Server)(nil)

// New returns a provider server for the given schemas.
func New(s *Schemas) *Server { return &Server{schemas: s} }

func errDiag(summary string, err error) []*tfprotov6.Diagnostic {
	return []*tfprotov6.Diagnostic{{Severity: tfprotov6.DiagnosticSeverityError, Summary: summary, Detail: err.Error()}}
}

func (s *Server) resource(name string) (*Schema, error) {
	r, ok := s.schemas.Resources[name]
	if !ok {
		return nil, fmt.Errorf("resource type %s is not in the test provider's schema: add it to the modules and run terraform/test/awsprovider/schema/generate.sh", name)
	}
	return r, nil
}

func (s *Server) GetMetadata(context.Context, *tfprotov6.GetMetadataRequest) (*tfprotov6.GetMetadataResponse, error) {
	resp := &tfprotov6.GetMetadataResponse{ServerCapabilities: &tfprotov6.ServerCapabilities{GetProviderSchemaOptional: false}}
	for _, n := range sortedKeys(s.schemas.Resources) {
		resp.Resources = append(resp.Resources, tfprotov6.ResourceMetadata{TypeName: n})
	}
	for _, n := range sortedKeys(s.schemas.DataSources) {
		resp.DataSources = append(resp.DataSources, tfprotov6.DataSourceMetadata{TypeName: n})
	}
	return resp, nil
}

func (s *Server) GetProviderSchema(context.Context, *tfprotov6.GetProviderSchemaRequest) (*tfprotov6.GetProviderSchemaResponse, error) {
	resp := &tfprotov6.GetProviderSchemaResponse{
		Provider:          s.schemas.Provider.proto(),
		ResourceSchemas:   map[string]*tfprotov6.Schema{},
		DataSourceSchemas: map[string]*tfprotov6.Schema{},
	}
	for n, r := range s.schemas.Resources {
		resp.ResourceSchemas[n] = r.proto()
	}
	for n, d := range s.schemas.DataSources {
		resp.DataSourceSchemas[n] = d.proto()
	}
	return resp, nil
}

func (s *Server) GetResourceIdentitySchemas(context.Context, *tfprotov6.GetResourceIdentitySchemasRequest) (*tfprotov6.GetResourceIdentitySchemasResponse, error) {
	return &tfprotov6.GetResourceIdentitySchemasResponse{IdentitySchemas: map[string]*tfprotov6.ResourceIdentitySchema{}}, nil
}

func (s *Server) ValidateProviderConfig(_ context.Context, req *tfprotov6.ValidateProviderConfigRequest) (*tfprotov6.ValidateProviderConfigResponse, error) {
	return &tfprotov6.ValidateProviderConfigResponse{PreparedConfig: req.Config}, nil
}

// ConfigureProvider keeps default_tags: planned tags_all depends on them.
func (s *Server) ConfigureProvider(_ context.Context, req *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	cfg, err := req.Config.Unmarshal(s.schemas.Provider.Block.ValueType())
	if err != nil {
		return &tfprotov6.ConfigureProviderResponse{Diagnostics: errDiag("Invalid provider configuration", err)}, nil
	}
	tags, err := defaultTags(cfg)
	if err != nil {
		return &tfprotov6.ConfigureProviderResponse{Diagnostics: errDiag("Invalid default_tags", err)}, nil
	}
	s.mu.Lock()
	s.defaultTags = tags
	s.mu.Unlock()
	return &tfprotov6.ConfigureProviderResponse{}, nil
}

func defaultTags(cfg tftypes.Value) (map[string]string, error) {
	out := map[string]string{}
	var attrs map[string]tftypes.Value
	if err := cfg.As(&attrs); err != nil {
		return nil, err
	}
	blocks, ok := attrs["default_tags"]
	if !ok || blocks.IsNull() || !blocks.IsKnown() {
		return out, nil
	}
	var list []tftypes.Value
	if err := blocks.As(&list); err != nil {
		return nil, err
	}
	for _, b := range list {
		var battrs map[string]tftypes.Value
		if err := b.As(&battrs); err != nil {
			return nil, err
		}
		tags := battrs["tags"]
		if tags.IsNull() {
			continue
		}
		if !tags.IsKnown() {
			return nil, fmt.Errorf("default_tags.tags must be known when the provider is configured")
		}
		var m map[string]tftypes.Value
		if err := tags.As(&m); err != nil {
			return nil, err
		}
		for k, v := range m {
			var str string
			if err := v.As(&str); err != nil {
				return nil, fmt.Errorf("default_tags.tags[%q]: %w", k, err)
			}
			out[k] = str
		}
	}
	return out, nil
}

func (s *Server) StopProvider(context.Context, *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	return &tfprotov6.StopProviderResponse{}, nil
}

func (s *Server) ValidateResourceConfig(_ context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	if _, err := s.resource(req.TypeName); err != nil {
		return &tfprotov6.ValidateResourceConfigResponse{Diagnostics: errDiag("Unknown resource type", err)}, nil
	}
	return &tfprotov6.ValidateResourceConfigResponse{}, nil
}

func (s *Server) UpgradeResourceState(_ context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	r, err := s.resource(req.TypeName)
	if err != nil {
		return &tfprotov6.UpgradeResourceStateResponse{Diagnostics: errDiag("Unknown resource type", err)}, nil
	}
	typ := r.Block.ValueType()
	v, err := req.RawState.UnmarshalWithOpts(typ, tfprotov6.UnmarshalOpts{ValueFromJSONOpts: tftypes.ValueFromJSONOpts{IgnoreUndefinedAttributes: true}})
	if err != nil {
		return &tfprotov6.UpgradeResourceStateResponse{Diagnostics: errDiag("Cannot read stored state", err)}, nil
	}
	dv, err := tfprotov6.NewDynamicValue(typ, v)
	if err != nil {
		return &tfprotov6.UpgradeResourceStateResponse{Diagnostics: errDiag("Cannot encode state", err)}, nil
	}
	return &tfprotov6.UpgradeResourceStateResponse{UpgradedState: &dv}, nil
}

// ReadResource returns the stored state unchanged: there is no AWS to refresh from.
func (s *Server) ReadResource(_ context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return &tfprotov6.ReadResourceResponse{NewState: req.CurrentState, Private: req.Private}, nil
}

func (s *Server) PlanResourceChange(_ context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	r, err := s.resource(req.TypeName)
	if err != nil {
		return &tfprotov6.PlanResourceChangeResponse{Diagnostics: errDiag("Unknown resource type", err)}, nil
	}
	typ := r.Block.ValueType()
	proposed, err := req.ProposedNewState.Unmarshal(typ)
	if err != nil {
		return &tfprotov6.PlanResourceChangeResponse{Diagnostics: errDiag("Cannot read proposed state", err)}, nil
	}
	prior, err := req.PriorState.Unmarshal(typ)
	if err != nil {
		return &tfprotov6.PlanResourceChangeResponse{Diagnostics: errDiag("Cannot read prior state", err)}, nil
	}
	planned := proposed
	if !proposed.IsNull() {
		if prior.IsNull() {
			if planned, err = planCreate(r.Block, proposed); err != nil {
				return &tfprotov6.PlanResourceChangeResponse{Diagnostics: errDiag("Cannot plan create", err)}, nil
			}
		}
		s.mu.Lock()
		tags := s.defaultTags
		s.mu.Unlock()
		if planned, err = setTagsAll(r.Block, planned, tags); err != nil {
			return &tfprotov6.PlanResourceChangeResponse{Diagnostics: errDiag("Cannot plan tags_all", err)}, nil
		}
	}
	dv, err := tfprotov6.NewDynamicValue(typ, planned)
	if err != nil {
		return &tfprotov6.PlanResourceChangeResponse{Diagnostics: errDiag("Cannot encode plan", err)}, nil
	}
	return &tfprotov6.PlanResourceChangeResponse{PlannedState: &dv, PlannedPrivate: req.PriorPrivate}, nil
}

// ApplyResourceChange records the plan as the new state, with what AWS would have
// computed left null (and a fake id): enough to exercise state handling, not AWS.
func (s *Server) ApplyResourceChange(_ context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	r, err := s.resource(req.TypeName)
	if err != nil {
		return &tfprotov6.ApplyResourceChangeResponse{Diagnostics: errDiag("Unknown resource type", err)}, nil
	}
	typ := r.Block.ValueType()
	planned, err := req.PlannedState.Unmarshal(typ)
	if err != nil {
		return &tfprotov6.ApplyResourceChangeResponse{Diagnostics: errDiag("Cannot read planned state", err)}, nil
	}
	state, err := fillUnknown(r.Block, req.TypeName, planned)
	if err != nil {
		return &tfprotov6.ApplyResourceChangeResponse{Diagnostics: errDiag("Cannot apply", err)}, nil
	}
	dv, err := tfprotov6.NewDynamicValue(typ, state)
	if err != nil {
		return &tfprotov6.ApplyResourceChangeResponse{Diagnostics: errDiag("Cannot encode state", err)}, nil
	}
	return &tfprotov6.ApplyResourceChangeResponse{NewState: &dv, Private: req.PlannedPrivate}, nil
}

func unsupported(what string) []*tfprotov6.Diagnostic {
	return []*tfprotov6.Diagnostic{{Severity: tfprotov6.DiagnosticSeverityError, Summary: what + " is not supported by the offline test provider"}}
}

func (s *Server) ImportResourceState(context.Context, *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	return &tfprotov6.ImportResourceStateResponse{Diagnostics: unsupported("Import")}, nil
}

func (s *Server) MoveResourceState(context.Context, *tfprotov6.MoveResourceStateRequest) (*tfprotov6.MoveResourceStateResponse, error) {
	return &tfprotov6.MoveResourceStateResponse{Diagnostics: unsupported("Moving state across resource types")}, nil
}

func (s *Server) UpgradeResourceIdentity(context.Context, *tfprotov6.UpgradeResourceIdentityRequest) (*tfprotov6.UpgradeResourceIdentityResponse, error) {
	return &tfprotov6.UpgradeResourceIdentityResponse{Diagnostics: unsupported("Resource identity")}, nil
}

func (s *Server) GenerateResourceConfig(context.Context, *tfprotov6.GenerateResourceConfigRequest) (*tfprotov6.GenerateResourceConfigResponse, error) {
	return &tfprotov6.GenerateResourceConfigResponse{Diagnostics: unsupported("Config generation")}, nil
}

func (s *Server) ValidateDataResourceConfig(_ context.Context, req *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	if _, ok := s.schemas.DataSources[req.TypeName]; !ok {
		return &tfprotov6.ValidateDataResourceConfigResponse{Diagnostics: errDiag("Unknown data source", fmt.Errorf("data source %s is not in the test provider's schema", req.TypeName))}, nil
	}
	return &tfprotov6.ValidateDataResourceConfigResponse{}, nil
}

// ReadDataSource returns the configuration with computed attributes null: a data
// source's answer comes from AWS, which the offline provider does not have; unless
// a fixture (DataFixturesEnv) gives the answer.
func (s *Server) ReadDataSource(_ context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	d, ok := s.schemas.DataSources[req.TypeName]
	if !ok {
		return &tfprotov6.ReadDataSourceResponse{Diagnostics: errDiag("Unknown data source", fmt.Errorf("data source %s is not in the test provider's schema", req.TypeName))}, nil
	}
	typ := d.Block.ValueType()
	cfg, err := req.Config.Unmarshal(typ)
	if err != nil {
		return &tfprotov6.ReadDataSourceResponse{Diagnostics: errDiag("Cannot read data source configuration", err)}, nil
	}
	fixtures, err := loadDataFixtures()
	if err != nil {
		return &tfprotov6.ReadDataSourceResponse{Diagnostics: errDiag("Cannot read data source fixtures", err)}, nil
	}
	if cfg, err = withFixture(d.Block, req.TypeName, cfg, fixtures[req.TypeName]); err != nil {
		return &tfprotov6.ReadDataSourceResponse{Diagnostics: errDiag("Cannot apply data source fixture", err)}, nil
	}
	state, err := fillUnknown(d.Block, req.TypeName, cfg)
	if err != nil {
		return &tfprotov6.ReadDataSourceResponse{Diagnostics: errDiag("Cannot read data source", err)}, nil
	}
	dv, err := tfprotov6.NewDynamicValue(typ, state)
	if err != nil {
		return &tfprotov6.ReadDataSourceResponse{Diagnostics: errDiag("Cannot encode data source", err)}, nil
	}
	return &tfprotov6.ReadDataSourceResponse{State: &dv}, nil
}

func (s *Server) CallFunction(context.Context, *tfprotov6.CallFunctionRequest) (*tfprotov6.CallFunctionResponse, error) {
	return &tfprotov6.CallFunctionResponse{Error: &tfprotov6.FunctionError{Text: "the offline test provider has no functions"}}, nil
}

func (s *Server) GetFunctions(context.Context, *tfprotov6.GetFunctionsRequest) (*tfprotov6.GetFunctionsResponse, error) {
	return &tfprotov6.GetFunctionsResponse{Functions: map[string]*tfprotov6.Function{}}, nil
}

func (s *Server) ValidateEphemeralResourceConfig(context.Context, *tfprotov6.ValidateEphemeralResourceConfigRequest) (*tfprotov6.ValidateEphemeralResourceConfigResponse, error) {
	return &tfprotov6.ValidateEphemeralResourceConfigResponse{Diagnostics: unsupported("Ephemeral resources")}, nil
}

func (s *Server) OpenEphemeralResource(context.Context, *tfprotov6.OpenEphemeralResourceRequest) (*tfprotov6.OpenEphemeralResourceResponse, error) {
	return &tfprotov6.OpenEphemeralResourceResponse{Diagnostics: unsupported("Ephemeral resources")}, nil
}

func (s *Server) RenewEphemeralResource(context.Context, *tfprotov6.RenewEphemeralResourceRequest) (*tfprotov6.RenewEphemeralResourceResponse, error) {
	return &tfprotov6.RenewEphemeralResourceResponse{Diagnostics: unsupported("Ephemeral resources")}, nil
}

func (s *Server) CloseEphemeralResource(context.Context, *tfprotov6.CloseEphemeralResourceRequest) (*tfprotov6.CloseEphemeralResourceResponse, error) {
	return &tfprotov6.CloseEphemeralResourceResponse{Diagnostics: unsupported("Ephemeral resources")}, nil
}
