import { render, screen } from '@testing-library/react-native';
import { Amplify } from 'aws-amplify';
import App from './App';
import { configureBackend, configuredCategories } from './backend';
import outputs from './amplify_outputs.json';

// Amplify is mocked at the module boundary: these tests cover this app's code,
// not the library's native modules.
jest.mock('aws-amplify', () => ({ Amplify: { configure: jest.fn() } }));
jest.mock('aws-amplify/utils', () => ({ parseAmplifyConfig: jest.fn((o: unknown) => o) }));
jest.mock('aws-amplify/auth/cognito', () => ({ cognitoUserPoolsTokenProvider: { setAuthConfig: jest.fn() } }));

describe('App', () => {
  it('explains how to add a backend when there is none', () => {
    render(<App categories={[]} />);
    expect(screen.getByText('hoist add auth')).toBeTruthy();
    expect(screen.getByText('hoist add api')).toBeTruthy();
    expect(screen.getByText('hoist push')).toBeTruthy();
  });

  it('lists the connected categories', () => {
    render(<App categories={['auth', 'storage']} />);
    expect(screen.getByText('Authentication (Amazon Cognito)')).toBeTruthy();
    expect(screen.getByText('File storage (Amazon S3)')).toBeTruthy();
    expect(screen.queryByText('hoist add auth')).toBeNull();
  });
});

describe('backend', () => {
  it('reads the sections of amplify_outputs.json', () => {
    expect(configuredCategories({ version: '1.4' })).toEqual([]);
    expect(configuredCategories({ version: '1.4', auth: {}, data: {} })).toEqual(['auth', 'data']);
  });

  it('hands amplify_outputs.json to Amplify', () => {
    expect(configureBackend()).toEqual(configuredCategories(outputs));
    expect(Amplify.configure).toHaveBeenCalledWith(outputs);
  });
});
