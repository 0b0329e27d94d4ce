import { describe, expect, it, vi } from 'vitest';
import { mount } from '@vue/test-utils';
import App from './App.vue';
import { Amplify } from 'aws-amplify';
import { configureBackend, configuredCategories } from './backend';
import outputs from './amplify_outputs.json';

// Amplify is mocked at the module boundary: these tests cover this app's code.
vi.mock('aws-amplify', () => ({ Amplify: { configure: vi.fn() } }));

describe('App', () => {
  it('explains how to add a backend when there is none', () => {
    const wrapper = mount(App, { props: { categories: [] } });
    const commands = wrapper.findAll('code').map((node) => node.text());
    expect(commands).toEqual(['hoist add auth', 'hoist add api', 'hoist add storage', 'hoist push']);
  });

  it('lists the connected categories', () => {
    const wrapper = mount(App, { props: { categories: ['auth', 'storage'] } });
    const items = wrapper.findAll('li').map((node) => node.text());
    expect(items).toEqual(['Authentication (Amazon Cognito)', 'File storage (Amazon S3)']);
    expect(wrapper.text()).not.toContain('hoist add auth');
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
